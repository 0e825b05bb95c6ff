using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Dock.Service.Api;

namespace Dock.Service.Web;

/// <summary>
/// The kiosk's HTML, rendered on the server with the bays as they are now (so the first paint already shows them); kiosk.js then
/// keeps the same tiles up to date from <c>/kiosk/events</c>. Every value is HTML-encoded; every word comes from <see cref="WebText"/>.
/// </summary>
public static class KioskPage
{
    private static readonly HtmlEncoder Html = HtmlEncoder.Default;

    public static string Render(string language, string dockId, IReadOnlyList<Bay> bays, TimeSpan idleTimeout)
    {
        var text = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(text.Get(language, key, args));
        var page = new StringBuilder(4096);
        page.Append($"""
            <!doctype html>
            <html lang="{language}">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{T("dock.title")} · {T("kiosk.title")}</title>
            <link rel="stylesheet" href="/web/kiosk.css">
            </head>
            <body class="kiosk" data-idle-seconds="{(int)idleTimeout.TotalSeconds}">
            <header class="bar">
            <h1>{T("dock.title")} <span class="dock-id">{Html.Encode(dockId)}</span></h1>
            <p id="status" role="status" data-state="connecting">{T("kiosk.live")}</p>
            <nav aria-label="{T("language")}">
            """);
        foreach (var other in WebText.Languages)
        {
            page.Append(other == language
                ? $"""<a href="?lang={other}" aria-current="true" lang="{other}">{T("language." + other)}</a>"""
                : $"""<a href="?lang={other}" lang="{other}">{T("language." + other)}</a>""");
        }
        page.Append($"""
            </nav>
            </header>
            <main>
            <h2 class="visually-hidden">{T("kiosk.title")}</h2>
            <div id="bays" class="bays">
            """);
        foreach (var bay in bays) page.Append(Tile(language, bay));
        page.Append($"""
            </div>
            <section class="signin" id="signin" aria-labelledby="signin-title">
            <h2 id="signin-title">{T("kiosk.signin")}</h2>
            <form id="kiosk-signin" autocomplete="off">
            <div class="fields">
            <div><label for="badge">{T("kiosk.badge")}</label><input id="badge" name="badge" required maxlength="64"></div>
            <div><label for="pin">{T("kiosk.pin")}</label><input id="pin" name="pin" type="password" inputmode="numeric" required maxlength="12" pattern="[0-9]*"></div>
            </div>
            <div class="pinpad" role="group" aria-label="{T("kiosk.pinpad")}">
            {string.Concat("123456789".Select(d => $"""<button type="button" data-digit="{d}">{d}</button>"""))}
            <button type="button" data-key="clear">{T("kiosk.clear")}</button><button type="button" data-digit="0">0</button>
            <button type="button" data-key="back" aria-label="{T("kiosk.backspace")}">⌫</button>
            </div>
            <button type="submit" class="primary">{T("kiosk.signinButton")}</button>
            <p id="signin-error" class="error" role="alert" hidden></p>
            </form>
            </section>
            <section class="mine" id="mine" aria-labelledby="mine-title" hidden>
            <div class="mine-head">
            <h2 id="mine-title"></h2>
            <button type="button" id="kiosk-signout" class="primary">{T("kiosk.signout")}</button>
            </div>
            <p class="idle" id="idle">{T("kiosk.idle", (int)idleTimeout.TotalSeconds)}</p>
            <p class="overdue" id="overdue" role="alert" hidden></p>
            <form class="checkout" id="checkout-form" aria-labelledby="checkout-title">
            <h3 id="checkout-title">{T("kiosk.checkoutTitle")}</h3>
            <label for="accompanied-by">{T("kiosk.accompaniedBy")}</label>
            <input id="accompanied-by" name="accompaniedBy" autocomplete="off" maxlength="32">
            <button type="submit" class="primary" id="checkout-button">{T("kiosk.takeCamera")}</button>
            <p id="checkout-result" role="status"></p>
            </form>
            <h3>{T("kiosk.cameras")}</h3>
            <ul id="my-recorders" class="my-recorders"></ul>
            <h3>{T("kiosk.footage")}</h3>
            <table class="my-clips"><thead><tr><th scope="col"><span class="visually-hidden">{T("kiosk.select")}</span></th>
            <th scope="col">{T("label.recorder")}</th><th scope="col">{T("clips.clip")}</th><th scope="col">{T("clips.recorded")}</th>
            <th scope="col">{T("clips.state")}</th><th scope="col">{T("kiosk.tags")}</th></tr></thead>
            <tbody id="my-clips"></tbody></table>
            <p id="no-footage" hidden>{T("kiosk.noFootage")}</p>
            <form class="tagging" id="tag-form" data-slot="tagging" aria-labelledby="tagging-title">
            <h3 id="tagging-title">{T("kiosk.tagging")}</h3>
            <button type="button" id="pick-docking">{T("kiosk.pickDocking")}</button>
            <div class="fields">
            <div><label for="tag-case">{T("tag.case-number")}</label><input id="tag-case" name="caseNumber" maxlength="64"></div>
            <div><label for="tag-purpose">{T("tag.purpose")}</label><input id="tag-purpose" name="purpose" maxlength="120"></div>
            <div><label for="tag-category">{T("tag.category")}</label><select id="tag-category" name="category"><option value="">—</option></select></div>
            <div><label for="tag-sensitivity">{T("sensitivity.label")}</label><select id="tag-sensitivity" name="sensitivity"><option value="">—</option>
            <option value="personal-privacy">{T("sensitivity.personal-privacy")}</option><option value="trade-secret">{T("sensitivity.trade-secret")}</option>
            <option value="state-secret">{T("sensitivity.state-secret")}</option></select></div>
            </div>
            <button type="submit" class="primary">{T("kiosk.saveTags")}</button>
            <p id="tag-result" role="status"></p>
            </form>
            </section>
            </main>
            <script id="strings" type="application/json">{JsonSerializer.Serialize(text.All(language))}</script>
            <script src="/web/kiosk.js" defer></script>
            </body>
            </html>
            """);
        return page.ToString();
    }

    /// <summary>One bay's tile; kiosk.js builds the same markup for a bay that appears later.</summary>
    private static string Tile(string language, Bay bay)
    {
        var text = WebText.Instance;
        string T(string key, params object[] args) => Html.Encode(text.Get(language, key, args));
        string V(string? value) => value is { Length: > 0 } ? Html.Encode(value) : "—";
        var id = Html.Encode(bay.BayId);
        int percent = bay.ClipsTotal == 0 ? (bay.Finished ? 100 : 0)
            : (int)Math.Clamp(100.0 * (bay.ClipsDone + (bay.ClipSize > 0 ? (double)bay.ClipBytes / bay.ClipSize : 0)) / bay.ClipsTotal, 0, 100);
        return $"""
            <section class="tile" data-bay="{id}" data-phase="{bay.Phase}" data-light="{bay.Light}" aria-labelledby="bay-{id}">
            <div class="light" aria-hidden="true"></div>
            <h3 id="bay-{id}">{T("bay", bay.BayId)}</h3>
            <p class="phase">{T("phase." + bay.Phase)}</p>
            <dl>
            <div><dt>{T("label.recorder")}</dt><dd data-field="serial">{V(bay.Serial)}</dd></div>
            <div><dt>{T("label.officer")}</dt><dd data-field="officer">{V(bay.OfficerId)}</dd></div>
            <div><dt>{T("label.battery")}</dt><dd data-field="battery">{(bay.BatteryPercent is { } b ? $"{b} %" : "—")}</dd></div>
            <div><dt>{T("label.clips")}</dt><dd data-field="clips">{(bay.ClipsTotal > 0 ? $"{bay.ClipsDone} / {bay.ClipsTotal}" : "—")}</dd></div>
            <div><dt>{T("label.eta")}</dt><dd data-field="eta">{T("eta.unknown")}</dd></div>
            </dl>
            <progress max="100" value="{percent}" aria-label="{T("label.progress", bay.BayId)}"></progress>
            <p class="message" data-field="message">{(bay.PickedFor is { } picked ? T("kiosk.takeMe", picked) : bay.Reason is { } r ? T("reason." + r, bay.ReasonCount) : bay.Message is { } m ? Html.Encode(m) : "")}</p>
            </section>
            """;
    }
}
