namespace Dock.DeviceProtocol.Errors;

/// <summary>
/// The one exception type of the DeviceProtocol layer. Foreign exceptions (sockets, serial ports)
/// are translated into it at the transport boundary; <see cref="OperationCanceledException"/> is
/// never wrapped. Build instances through <see cref="DockLinkErrors"/> so messages stay uniform.
/// </summary>
public sealed class DockLinkException : Exception
{
    internal DockLinkException(DockLinkFailure failure, string message, ErrorCode? remoteCode = null, Exception? inner = null)
        : base(message, inner)
    {
        Failure = failure;
        RemoteCode = remoteCode;
    }

    public DockLinkFailure Failure { get; }

    /// <summary>The wire error code when <see cref="Failure"/> is <see cref="DockLinkFailure.RemoteError"/>.</summary>
    public ErrorCode? RemoteCode { get; }

    /// <summary>True when retrying the same request on the same link can succeed.</summary>
    public bool IsRetryable => Failure is DockLinkFailure.CorruptFrame
        || (Failure == DockLinkFailure.RemoteError && RemoteCode is ErrorCode.BadFrame or ErrorCode.Busy);
}
