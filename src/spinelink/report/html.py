"""The self-contained HTML page: tables, charts and the inlined charting library.

Vega, Vega-Lite and Vega-Embed come from the copies Splink ships (its
`internals/files/external_js/`), inlined so the page works offline; their licence notices
(BSD-3-Clause, from Splink's DEPENDENCY_LICENSES.txt) are kept in the page. When the page
has drawn every chart it sets `data-charts-rendered` on <body>; script errors are counted
in `data-errors` (and listed in #errors), which the tests read from headless Chromium.
"""
from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

LIBS = ("vega", "vega-lite", "vega-embed")

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#fff}
header{background:#1f3a5f;color:#fff;padding:16px 28px}
header h1{margin:0;font-size:22px}
main{padding:8px 28px 40px;max-width:1600px}
h2{border-bottom:2px solid #1f3a5f;padding-bottom:4px;margin-top:32px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}
th,td{border:1px solid #ccd;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#eef2f7}
td.t,th.t{text-align:left;white-space:normal;max-width:32em;overflow-wrap:anywhere}
tr.collapsed td{color:#555;font-style:italic;background:#fafafa}
.note{color:#555;font-size:13px;max-width:980px}
.warning{color:#8a4b00;background:#fff4e0;border-left:4px solid #e08e00;padding:4px 10px;
font-size:13px;max-width:980px}
.estimate{font-size:14px;margin:6px 0}
.chart{margin:12px 0 24px;max-width:100%;overflow-x:auto}
details{margin:8px 0}
pre{white-space:pre-wrap;font-size:11px;background:#f7f7f7;padding:8px}
#errors{color:#b00}
.scroll{overflow-x:auto;max-width:100%}
"""

BOOT = """
(function(){
  var errors = [];
  function note(msg){
    errors.push(String(msg));
    document.body.setAttribute('data-errors', String(errors.length));
    var el = document.getElementById('errors');
    if (el) { var li = document.createElement('li'); li.textContent = String(msg);
              el.appendChild(li); }
  }
  window.addEventListener('error', function(e){ note(e.message || e); });
  var specs = JSON.parse(document.getElementById('chart-specs').textContent);
  var ids = Object.keys(specs), done = 0;
  document.body.setAttribute('data-errors', '0');
  document.body.setAttribute('data-charts', String(ids.length));
  Promise.all(ids.map(function(id){
    return vegaEmbed('#' + id, specs[id], {actions: false, renderer: 'svg'})
      .then(function(){ done += 1; })
      .catch(function(e){ note(id + ': ' + e); });
  })).then(function(){
    document.body.setAttribute('data-charts-rendered', String(done));
  });
})();
"""


def _external_js_dir() -> Path:
    import splink

    return Path(splink.__file__).parent / "internals" / "files"


def vendor_scripts() -> str:
    """The three libraries, each in its own <script>, in load order."""
    folder = _external_js_dir() / "external_js"
    parts = []
    for lib in LIBS:
        path = sorted(folder.glob(f"{lib}@*"))[-1]
        code = path.read_text(encoding="utf-8").replace("</script", "<\\/script")
        parts.append(f"<script>/* {html.escape(path.name)} (BSD-3-Clause, see Licences) */\n"
                     f"{code}\n</script>")
    return "\n".join(parts)


def licence_notices() -> str:
    """The Vega, Vega-Lite and Vega-Embed entries of Splink's DEPENDENCY_LICENSES.txt."""
    path = _external_js_dir() / "DEPENDENCY_LICENSES.txt"
    if not path.exists():
        return "Vega, Vega-Lite and Vega-Embed: BSD-3-Clause, University of Washington " \
               "Interactive Data Lab."
    entries = path.read_text(encoding="utf-8").split("\n---\n")
    keep = [e.strip() for e in entries
            if any(e.strip().startswith(f"Name: {lib}\n") for lib in LIBS)]
    return "\n\n---\n\n".join(keep)


def table(df: pd.DataFrame | None, columns: list[str] | None = None,
          text_cols: tuple[str, ...] = (),
          collapsed: dict[int, list[tuple[str, str]]] | None = None) -> str:
    """A table in a horizontally scrolling wrapper (wide tables never push the page wider
    than the window). `collapsed`: {row position: [(key, text), ...]}: lines drawn before
    that row (at the end for a position past the last row), the key in the first column
    and the text across the others, e.g. a variable's suppressed values in one line."""
    collapsed = collapsed or {}
    if df is None or (df.empty and not collapsed):
        return "<p class='note'>Nothing to show.</p>"
    cols = columns or list(df.columns)
    head = "".join(f"<th class='{'t' if c in text_cols else ''}'>{html.escape(c)}</th>"
                   for c in cols)
    body = []

    def note_row(pos: int) -> None:
        for key, text in collapsed.get(pos, []):
            body.append(f"<tr class='collapsed'><td class='t'>{html.escape(key)}</td>"
                        f"<td class='t' colspan='{len(cols) - 1}'>{html.escape(text)}</td></tr>")

    for pos, rec in enumerate(df[cols].itertuples(index=False)):
        note_row(pos)
        cells = []
        for c, v in zip(cols, rec, strict=True):
            cls = "t" if c in text_cols else ""
            cells.append(f"<td class='{cls}'>{html.escape(_fmt(v, c))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    for pos in sorted(p for p in collapsed if p >= len(df)):
        note_row(pos)
    return (f"<div class='scroll'><table><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def kv_table(items: list[tuple[str, object]]) -> str:
    """Two columns, what and value: the scalar figures of a check."""
    if not items:
        return "<p class='note'>Nothing to show.</p>"
    rows = "".join(f"<tr><td class='t'>{html.escape(k)}</td>"
                   f"<td>{html.escape(_fmt(v, k if _expected_links(k) else ''))}</td>"
                   "</tr>" for k, v in items)
    return f"<div class='scroll'><table><tbody>{rows}</tbody></table></div>"


def warning(text: str) -> str:
    """A visible plain-text warning (no markup from the text)."""
    return f"<p class='warning' role='note'>Warning: {html.escape(text)}</p>"


def details(summary: str, content: str) -> str:
    return f"<details><summary>{html.escape(summary)}</summary>{content}</details>"


COUNT_COLUMNS = ("n", "links", "units", "pairs", "read", "accepted", "quarantined",
                 "linked", "review", "unlinked")


def _expected_links(column: str) -> bool:
    """A column of expected numbers of false links: one scale for all its rows (it
    showed 9.7900 beside 33.2, 0.0400 beside 186.6)."""
    return "expected false links" in column.replace("_", " ")


def _fmt(v, column: str = "") -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and _expected_links(column):
        return f"{v:,.2f}"
    if isinstance(v, float) and (column.startswith("n_") or column in COUNT_COLUMNS):
        return f"{v:,.0f}"
    if isinstance(v, float):
        if v != 0 and abs(v) < 0.001:
            return f"{v:.2e}"  # small m and u probabilities: not a column of 0.0000
        return f"{v:.4f}" if abs(v) < 10 else f"{v:,.1f}"
    return str(v)


def page(title: str, sections: list[tuple[str, str]], specs: dict[str, dict]) -> str:
    body = "\n".join(f"<section><h2>{html.escape(h)}</h2>\n{content}</section>"
                     for h, content in sections)
    spec_json = json.dumps(specs, default=str).replace("</", "<\\/")
    licences = html.escape(licence_notices())
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>\n"
        f"{vendor_scripts()}\n</head>\n<body>\n"
        f"<header><h1>{html.escape(title)}</h1></header>\n<main>\n{body}\n"
        "<section><h2>Licences</h2><details><summary>Vega, Vega-Lite and Vega-Embed are "
        "inlined in this page under the BSD-3-Clause licence</summary>"
        f"<pre>{licences}</pre></details></section>\n"
        "<ul id='errors'></ul>\n</main>\n"
        f"<script type='application/json' id='chart-specs'>{spec_json}</script>\n"
        f"<script>{BOOT}</script>\n</body></html>\n")


def chart_div(chart_id: str) -> str:
    return f"<div class='chart' id='{html.escape(chart_id)}'></div>"
