namespace Dock.Evidence;

/// <summary>The verifiers' reports as text, one line per check: the same in `dock verify`, `dock log verify` and dock-verify.</summary>
public static class ReportText
{
    public static void Write(VerifyReport report, TextWriter output)
    {
        foreach (var step in report.Steps) output.WriteLine($"{(step.Ok ? "ok  " : "FAIL")}  {step.Name,-18} {step.Detail}");
        if (report.Timeline.Count > 0)
        {
            output.WriteLine("custody timeline:");
            foreach (var line in report.Timeline) output.WriteLine($"  {line}");
        }
        output.WriteLine(Verdict(report.Outcome));
    }

    public static void Write(LogVerifyReport report, TextWriter output)
    {
        foreach (var step in report.Steps) output.WriteLine($"{(step.Ok ? "ok  " : "FAIL")}  {step.Name,-22} {step.Detail}");
        output.WriteLine(Verdict(report.Outcome));
    }

    private static string Verdict(VerifyOutcome outcome) => outcome == VerifyOutcome.Verified ? "VERIFIED" : $"NOT VERIFIED: {outcome}";
}
