namespace Dock.DeviceProtocol.Session;

/// <summary>The device's session state machine (docklink-v1.md §8).</summary>
public enum DeviceSessionState
{
    /// <summary>Link open; only HELLO is accepted.</summary>
    AwaitHello,
    /// <summary>Versions agreed; AUTH, GET_INFO, GET_POWER, PING and BYE are accepted. No clip or configuration operation.</summary>
    AwaitAuth,
    /// <summary>The dock proved an agency-endorsed key: every operation is accepted.</summary>
    Authenticated,
    /// <summary>BYE answered, authentication failed, or a timeout fired: the link is closed.</summary>
    Closed,
}
