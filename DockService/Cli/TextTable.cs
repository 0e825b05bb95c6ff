using System.Globalization;
using System.Text;

namespace Dock.Service.Cli;

/// <summary>A terminal table: a header row and rows, each column as wide as its widest cell, where a Chinese character takes two columns
/// (as terminals draw it) so that names like 张三 line up.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public TextTable Add(params object?[] cells)
    {
        _rows.Add([.. cells.Select(c => c switch
        {
            null => "-",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => c.ToString() ?? "",
        })]);
        return this;
    }

    public int Count => _rows.Count;

    public override string ToString()
    {
        var widths = headers.Select((h, i) => _rows.Select(r => Width(r[i])).Append(Width(h)).Max()).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> cells)
        {
            for (int i = 0; i < cells.Count; i++)
            {
                text.Append(cells[i]);
                if (i < cells.Count - 1) text.Append(' ', widths[i] - Width(cells[i]) + 2);
            }
            text.Append('\n');
        }
        Line(headers);
        Line([.. widths.Select(w => new string('-', w))]);
        foreach (var row in _rows) Line(row);
        return text.ToString();
    }

    /// <summary>Columns a terminal gives the text: two for East Asian wide characters.</summary>
    public static int Width(string text)
    {
        int width = 0;
        foreach (var rune in text.EnumerateRunes())
            width += rune.Value is >= 0x1100 and <= 0x115F or >= 0x2E80 and <= 0xA4CF or >= 0xAC00 and <= 0xD7A3 or >= 0xF900 and <= 0xFAFF
                or >= 0xFE30 and <= 0xFE4F or >= 0xFF00 and <= 0xFF60 or >= 0xFFE0 and <= 0xFFE6 or >= 0x20000 and <= 0x3FFFD ? 2 : 1;
        return width;
    }
}
