using System.Globalization;
using Dock.Service.Catalog;

namespace Dock.Service.Equipment;

/// <summary>A battery's charge curves as an SVG chart (ScottPlot): charge against hours since docking, one line per docking, newest drawn
/// last, each labelled with its day and constant-current rate; the 80 % line where charging tapers. Labels are numbers and units only, so the
/// chart reads the same in Chinese and English.</summary>
public static class BatteryCharts
{
    public const int Width = 640;
    public const int Height = 320;

    public static string ChargeCurvesSvg(string serial, IReadOnlyList<(ChargeSessionRecord Session, IReadOnlyList<(DateTimeOffset At, int Percent, double? Rate)> Curve)> sessions)
    {
        var plot = new ScottPlot.Plot();
        plot.Title(serial);
        plot.XLabel("h");
        plot.YLabel("%");
        plot.Axes.SetLimitsY(0, 105);
        var palette = new ScottPlot.Palettes.Category10();
        int i = 0;
        foreach (var (session, curve) in sessions)
        {
            if (curve.Count < 2) continue;
            var xs = curve.Select(p => (p.At - session.DockedAt).TotalHours).ToArray();
            var ys = curve.Select(p => (double)p.Percent).ToArray();
            var line = plot.Add.ScatterLine(xs, ys, palette.GetColor(i++));
            line.LineWidth = 2;
            line.LegendText = session.DockedAt.UtcDateTime.ToString("MM-dd", CultureInfo.InvariantCulture) +
                (session.ChargeRate is { } rate ? $" {rate.ToString("0", CultureInfo.InvariantCulture)} %/h" : "");
        }
        var taper = plot.Add.HorizontalLine(80);
        taper.LinePattern = ScottPlot.LinePattern.Dashed;
        taper.Color = ScottPlot.Colors.Gray;
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        return plot.GetSvgXml(Width, Height);
    }
}
