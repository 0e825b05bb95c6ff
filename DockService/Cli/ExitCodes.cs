namespace Dock.Service.Cli;

/// <summary>Process exit codes of <c>dock</c> (README.md, "Exit codes").</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The job ran and failed: a clip not verified, a benchmark target missed, a runtime error.</summary>
    public const int Failed = 1;
    /// <summary>Bad command line or configuration, or a set-up problem (no endorsement, unreadable catalog).</summary>
    public const int Usage = 2;

    /// <summary>Prints "dock COMMAND: message" to stderr and returns <see cref="Usage"/>.</summary>
    public static int UsageError(string command, string message)
    {
        Console.Error.WriteLine($"dock {command}: {message}");
        return Usage;
    }
}
