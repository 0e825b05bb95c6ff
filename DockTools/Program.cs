using System.CommandLine;
using Dock.Tools.Bench;
using Dock.Tools.Demo;

namespace Dock.Tools;

/// <summary>`dock demo` and `dock bench`, which need the simulator and the storage emulators: run by the ./dock script, never shipped.</summary>
public static class Program
{
    public static Task<int> Main(string[] args) => Service.Program.InvokeAsync(new RootCommand(
        "Dock tools: the demo (a simulated dock on embedded defaults) and the benchmarks. Not part of the shipped service.")
    {
        DemoCommand.Create(),
        BenchCommand.Create(),
    }, args);
}
