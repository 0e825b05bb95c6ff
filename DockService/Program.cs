using System.CommandLine;
using Dock.Service.Cli;
using Dock.Service.Demo;

namespace Dock.Service;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("Dock: docking-station service for body-worn cameras (执法记录仪). " +
            "Pulls, hashes and stores every clip, and lets a recorder delete nothing until the dock holds a verified copy.")
        {
            RunCommand.Create(),
            DemoCommand.Create(),
            StatusCommand.Create(),
            KeysCommand.Create(),
            RecordersCommand.Create(),
            VerifyCommand.Create(),
            LogCommand.Create(),
            ClipsCommand.Create(),
            BaysCommand.Create(),
            ServiceCommand.Create(),
            Bench.BenchCommand.Create(),
        };
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) await Console.Error.WriteLineAsync($"dock: {error.Message}");
            await Console.Error.WriteLineAsync("Run 'dock --help' for usage.");
            return ExitCodes.Usage;
        }
        return await parse.InvokeAsync();
    }
}
