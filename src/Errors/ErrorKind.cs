namespace CriShim.Errors;

/// <summary>What kind of failure a domain operation had; <c>Cri.ErrorInterceptor</c> alone turns it into a gRPC code.</summary>
public enum ErrorKind
{
    /// <summary>The request is malformed or names something unusable (bad metadata, traversal in a path).</summary>
    InvalidArgument,
    /// <summary>The pod, container or image does not exist.</summary>
    NotFound,
    /// <summary>The name or ID is taken.</summary>
    AlreadyExists,
    /// <summary>The object exists but is not in a state that allows the operation (start a stopped pod's container).</summary>
    FailedPrecondition,
    /// <summary>A dependency (runc, conmon, CNI, a registry) could not be reached or is not ready; retrying may help.</summary>
    Unavailable,
    /// <summary>A cap was hit (pending streaming requests, sizes).</summary>
    ResourceExhausted,
    /// <summary>The operation's own deadline passed (an ExecSync timeout).</summary>
    DeadlineExceeded,
    /// <summary>Credentials were refused or missing.</summary>
    Unauthenticated,
    /// <summary>Stored or fetched content does not match its digest.</summary>
    DataLoss,
    /// <summary>The runtime failed in a way it reported (runc's own message); the client sees it as is.</summary>
    Unknown,
    /// <summary>An invariant of ours broke.</summary>
    Internal,
}
