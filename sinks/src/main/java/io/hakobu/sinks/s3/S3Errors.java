package io.hakobu.sinks.s3;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkServiceException;

/**
 * Classifies upload failures in one place (STYLE 8.4 §5). Every failure is retried without limit
 * (the entries are safe in the spool and the buffer), but the reason decides how loudly it is
 * reported: {@code throttled}, {@code server_error}, {@code timeout} and {@code connection} are
 * weather, logged as warnings; {@code access_denied}, {@code no_such_bucket}, {@code credentials}
 * and {@code client_error} need an operator, logged as errors with a hint.
 */
final class S3Errors {
    private S3Errors() {
    }

    /** The {@code reason} label of {@code upload_errors_total}. */
    static String reason(Throwable e) {
        Throwable t = e;
        for (int i = 0; i < 8 && t != null; i++) {
            if (t instanceof SdkServiceException s) {
                String code = s instanceof AwsServiceException a && a.awsErrorDetails() != null
                        ? a.awsErrorDetails().errorCode() : null;
                int status = s.statusCode();
                if ("NoSuchBucket".equals(code)) {
                    return "no_such_bucket";
                }
                if ("AccessDenied".equals(code) || "AllAccessDisabled".equals(code) || "AccountProblem".equals(code)) {
                    return "access_denied";
                }
                if ("InvalidAccessKeyId".equals(code) || "SignatureDoesNotMatch".equals(code)
                        || "ExpiredToken".equals(code) || "InvalidToken".equals(code)) {
                    return "credentials";
                }
                if ("NotImplemented".equals(code) || status == 501) {
                    return "not_implemented";
                }
                if ("SlowDown".equals(code) || status == 429 || s.isThrottlingException()) {
                    return "throttled";
                }
                if (status >= 500) {
                    return "server_error";
                }
                if (status == 403) {
                    return "access_denied";
                }
                if ("BadDigest".equals(code) || "InvalidDigest".equals(code) || "XAmzContentChecksumMismatch".equals(code)) {
                    return "bad_digest";
                }
                return "client_error";
            }
            if (t instanceof ApiCallTimeoutException || t instanceof ApiCallAttemptTimeoutException
                    || t instanceof SocketTimeoutException) {
                return "timeout";
            }
            if (t instanceof ConnectException || t instanceof UnknownHostException) {
                return "connection";
            }
            t = t.getCause();
        }
        if (e instanceof SdkClientException) {
            return "connection";
        }
        if (e instanceof IOException || e instanceof UncheckedIOException) {
            return "io";
        }
        return "other";
    }

    /** True for failures an operator must fix (logged at ERROR with a hint). */
    static boolean needsOperator(String reason) {
        return switch (reason) {
            case "access_denied", "no_such_bucket", "credentials", "not_implemented", "client_error" -> true;
            default -> false;
        };
    }

    static String hint(String reason) {
        return switch (reason) {
            case "access_denied" -> "grant s3:PutObject, s3:ListBucketMultipartUploads, s3:AbortMultipartUpload"
                    + " and s3:GetObject on the bucket to these credentials";
            case "no_such_bucket" -> "create the bucket or fix 'bucket' (and 'region'/'endpoint')";
            case "credentials" -> "check access_key_id/secret_access_key or the SDK's credential chain";
            case "not_implemented" -> "the store does not support a requested feature: check server_side_encryption,"
                    + " storage_class and checksum against what it supports";
            case "throttled" -> "S3 asks to slow down; retrying with backoff";
            default -> "";
        };
    }

    /** One line for logs and /health: the exception without its stack. */
    static String describe(Throwable e) {
        String m = e.getMessage();
        if (m != null && m.length() > 300) {
            m = m.substring(0, 300) + "…";
        }
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.replace('"', '\''));
    }
}
