package io.hakobu.protocol;

import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;

/**
 * TLS settings of either end, with the JDK provider.
 *
 * @param cert PEM certificate chain (server: required; agent: its client certificate, optional)
 * @param key PEM PKCS#8 private key of {@code cert}
 * @param ca PEM CA bundle to trust (server: client certificates; agent: the aggregator's
 *     certificate; null on the agent means the JDK's default trust store)
 * @param clientAuthRequired server only: require a client certificate signed by {@code ca}
 * @param verifyHostname agent only: check that the aggregator's certificate names the endpoint host
 */
public record Tls(Path cert, Path key, Path ca, boolean clientAuthRequired, boolean verifyHostname) {

    public SslContext serverContext() throws SSLException {
        SslContextBuilder b = SslContextBuilder.forServer(cert.toFile(), key.toFile()).sslProvider(SslProvider.JDK)
                .protocols("TLSv1.3", "TLSv1.2");
        if (ca != null) {
            b.trustManager(ca.toFile());
        }
        b.clientAuth(clientAuthRequired ? ClientAuth.REQUIRE : ClientAuth.NONE);
        return b.build();
    }

    public SslContext clientContext() throws SSLException {
        SslContextBuilder b = SslContextBuilder.forClient().sslProvider(SslProvider.JDK).protocols("TLSv1.3", "TLSv1.2");
        if (ca != null) {
            b.trustManager(ca.toFile());
        }
        if (cert != null) {
            b.keyManager(cert.toFile(), key.toFile());
        }
        b.endpointIdentificationAlgorithm(verifyHostname ? "HTTPS" : null);
        return b.build();
    }

    /** A one-line explanation of a TLS failure, for logs on either end. */
    public static String describe(Throwable e) {
        StringBuilder raw = new StringBuilder();
        for (Throwable t = e; t != null && raw.length() < 600; t = t.getCause()) {
            String tm = t.getMessage();
            if (tm != null && raw.indexOf(tm) < 0) {
                raw.append(raw.length() == 0 ? "" : ": ").append(tm);
            }
            if (t instanceof CertificateException && t.getMessage() != null && t.getMessage().startsWith("No ")) {
                return "hostname verification failed: the aggregator's certificate does not name this endpoint (" + t.getMessage() + ")";
            }
        }
        String m = raw.toString();
        if (m.contains("PKIX path") || m.contains("unable to find valid certification path")) {
            return "the peer's certificate is not signed by a trusted CA (" + m + ")";
        }
        if (m.contains("No subject alternative") || m.contains("No name matching")) {
            return "hostname verification failed: the aggregator's certificate does not name this endpoint (" + m + ")";
        }
        if (m.contains("Empty client certificate chain")) {
            return "the agent sent no client certificate issued by this aggregator's tls.ca (client_auth: require); "
                    + "give the agent a tls.cert and tls.key signed by that CA (" + m + ")";
        }
        if (m.contains("certificate_required") || m.contains("bad_certificate")) {
            return "the aggregator requires a client certificate signed by its tls.ca and refused ours (or its absence): "
                    + "check the agent's tls.cert and tls.key (" + m + ")";
        }
        if (m.contains("certificate_unknown") || m.contains("unknown_ca")) {
            return "the agent does not trust this aggregator's certificate (wrong CA or host name on the agent side) (" + m + ")";
        }
        if (m.contains("not an SSL/TLS record") || m.contains("Unsupported or unrecognized SSL message")) {
            return "the peer does not speak TLS: check tls on both ends (" + m + ")";
        }
        if (m.contains("expired") || m.contains("NotAfter")) {
            return "a certificate has expired (" + m + ")";
        }
        return m.isEmpty() ? e.getClass().getSimpleName() : m;
    }
}
