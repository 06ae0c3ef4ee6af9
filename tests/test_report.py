"""The HTML report: self-contained, renders its charts in headless Chromium without
script errors, is not blank, and shows no small cells."""
from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser

import numpy as np
import pytest
from conftest import demo_job

from spinelink.backends import open_engine
from spinelink.config import load_job
from spinelink.pipeline import StageContext, run_job
from spinelink.report import run_stage as report_stage
from spinelink.sample import generate

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run",
         "--virtual-time-budget=20000"]
MIN_CELL = 10
# counts under disclosure control (record accounting and links by method are operational,
# exact: see test_record_accounting_is_exact_and_adds_up)
COUNT_COLUMNS = {"n_reference", "n_linked", "n_unlinked", "units"}
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                    "(make test installs Debian's chromium)")


def _job(rounding: str = "null") -> str:
    job = demo_job()
    return job + ("quality:\n  subgroups: [ethnic_group, sex, age_band, region, disability]\n"
                  f"  min_cell: {MIN_CELL}\n  rounding: {rounding}\n  bootstrap: 50\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    generate(1500, 3, d / "data")
    (d / "data" / "job.yaml").write_text(_job())
    res = run_job(d / "data" / "job.yaml")
    return {"dir": d, "out": d / "out", "result": res}


def _chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=180)


def test_report_is_self_contained(run):
    text = (run["out"] / "report.html").read_text()
    assert not re.search(r"<script[^>]+src=", text) and "<link" not in text
    assert "cdn." not in text and "unpkg" not in text
    assert "vegaEmbed" in text and "University of Washington Interactive Data Lab" in text
    for section in ("Run summary", "by subgroup", "Coverage", "Threshold", "Match weights",
                    "Integrated variables", "Licences"):
        assert section in text


@needs_chromium
def test_report_renders_in_chromium(run, tmp_path):
    url = (run["out"] / "report.html").as_uri()
    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    body = re.search(r"<body([^>]*data-charts=[^>]*)>", dom)
    assert body, "the page's script did not run"
    attrs = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', body.group(1)))
    assert attrs.get("data-errors") == "0", re.findall(r"<li>(.*?)</li>", dom)[:5]
    assert int(attrs["data-charts"]) >= 6
    assert attrs.get("data-charts-rendered") == attrs["data-charts"]
    assert len(re.findall(r'<svg[^>]*class="marks"', dom)) >= int(attrs["data-charts"])


def _png_pixels(data: bytes) -> np.ndarray:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and ctype in (2, 6)
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    out = bytearray()
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if f == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif f == 2:
            line = bytearray((x + q) & 0xFF for x, q in zip(line, prev, strict=True))
        elif f == 3:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((a + prev[i]) >> 1)) & 0xFF
        elif f == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)
                           ) & 0xFF
        out += line
        prev = line
    return np.frombuffer(bytes(out), np.uint8).reshape(height, width, bpp)[:, :, :3]


@needs_chromium
def test_screenshot_is_not_blank(run, tmp_path):
    shot = tmp_path / "report.png"
    _chromium(tmp_path, "--window-size=900,600", f"--screenshot={shot}",
              (run["out"] / "report.html").as_uri())
    px = _png_pixels(shot.read_bytes()).astype(float)
    assert px.std() > 20                              # text, tables, a dark header
    assert (px.min(axis=2) < 200).mean() > 0.02       # more than a few dark pixels


class _Cells(HTMLParser):
    """Table cells of the page, by their column's header."""
    def __init__(self):
        super().__init__()
        self.rows, self.head, self.cur, self.cell, self.in_cell = [], [], None, "", False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.head = []
        elif tag in ("td", "th"):
            self.in_cell, self.cell = True, ""
        elif tag == "tr":
            self.cur = []

    def handle_endtag(self, tag):
        if tag == "th":
            self.head.append(self.cell)
            self.in_cell = False
        elif tag == "td":
            self.cur.append(self.cell)
            self.in_cell = False
        elif tag == "tr" and self.cur:
            self.rows.append(dict(zip(self.head, self.cur, strict=False)))
            self.cur = None

    def handle_data(self, data):
        if self.in_cell:
            self.cell += data


def _report_counts(path):
    text = path.read_text()
    parser = _Cells()
    parser.feed(text)
    cells = [(k, v) for row in parser.rows for k, v in row.items() if k in COUNT_COLUMNS]
    specs = json.loads(re.search(r"<script type='application/json' id='chart-specs'>(.*?)"
                                 r"</script>", text, re.S).group(1).replace("<\\/", "</"))
    chart_counts = [v for spec in specs.values() for row in spec.get("data", {}).get(
        "values", []) for k, v in row.items() if k in ("pairs", "units")]
    return cells, chart_counts


def _visible_text(path) -> str:
    return re.sub(r"<script.*?</script>", "", path.read_text(), flags=re.S)


def test_small_cells_suppressed_in_report(run):
    cells, chart_counts = _report_counts(run["out"] / "report.html")
    assert len(cells) > 50
    assert "values suppressed" in _visible_text(run["out"] / "report.html")
    for k, v in cells:
        n = v.replace(",", "")
        if n.isdigit():
            assert int(n) == 0 or int(n) >= MIN_CELL, (k, v)
    assert chart_counts and all(n == 0 or n >= MIN_CELL for n in chart_counts)


def test_threshold_is_in_no_published_file(run):
    out = run["out"]
    text = _visible_text(out / "report.html")
    for needle in (f"<{MIN_CELL}", f"&lt;{MIN_CELL}", f"under {MIN_CELL}", "min_cell",
                   f"{MIN_CELL} units"):
        assert needle not in text, needle
    summary = (out / "quality" / "summary.json").read_text()
    assert "min_cell" not in summary and f'"<{MIN_CELL}"' not in summary
    for p in [*(out / "tables").glob("*.csv"), *(out / "quality").glob("*.csv")]:
        assert "min_cell" not in p.read_text() and f"<{MIN_CELL}" not in p.read_text(), p


def test_record_accounting_is_exact_and_adds_up(run):
    parser = _Cells()
    parser.feed((run["out"] / "report.html").read_text())
    acc = [r for r in parser.rows if "quarantined" in r and r.get("read", "").strip()]
    assert {r["source"] for r in acc} == set(run["result"].accounting)
    for r in acc:
        n = {k: int(v.replace(",", "")) for k, v in r.items() if v.replace(",", "").isdigit()}
        truth = run["result"].accounting[r["source"]]
        assert n["read"] == truth["read"] and n["read"] == n["accepted"] + n["quarantined"]
        if "linked" in n:
            assert n["accepted"] == n["linked"] + n["review"] + n["unlinked"]
    assert any(0 < int(v.replace(",", "")) < MIN_CELL for r in acc
               for k, v in r.items() if k in ("review", "quarantined", "unlinked")
               and v.replace(",", "").isdigit()), "the sample has a small operational count"


def test_every_published_table_is_a_file_with_a_dictionary_and_analysis_has_charts(run):
    out = run["out"]
    dictionary = __import__("pandas").read_csv(out / "tables" / "dictionary.csv")
    files = {p.stem for p in (out / "tables").glob("*.csv")} - {"dictionary"}
    assert {"quality_subgroups", "record_accounting", "integration_sources"} <= files
    assert set(dictionary["table"]) == files
    assert dictionary["meaning"].notna().all()
    for name in files:  # CSV and Parquet hold the same rows
        assert (out / "tables" / f"{name}.parquet").exists()
    text = (out / "report.html").read_text()
    if "\nanalysis:" in _job():  # the demo job's analysis section
        assert {"analysis_dual_system", "analysis_weighted_margins"} <= files
        assert "<h2>Analysis: weights, coverage from both sides, population estimates</h2>" \
            in text
        assert '"chart-dual-system"' in text and '"chart-weighted"' in text


def test_concordance_lines_name_the_suppressed_cells_and_counts_are_whole(run):
    """A concordance table (reference value by source value) in the report: its line
    for a source and reference value names the source values suppressed there (it named
    the reference value again, `survey / Y: 1 value suppressed: Y` for the cell Y by
    unknown), and its counts read as counts (`434`, not `434.0` or `0.0000`). Before
    test_report_with_rounding, which reruns the report without the analysis tables."""
    import pandas as pd

    text = (run["out"] / "report.html").read_text()
    found = 0
    for p in sorted((run["out"] / "tables").glob("analysis_concordance_*.csv")):
        df = pd.read_csv(p, dtype=str, keep_default_na=False)
        ref_col, src_col = df.columns[1], df.columns[2]
        hidden = df[df["suppressed"] == "true"]
        expected = {f"{s} / {r}": sorted(g[src_col])
                    for (s, r), g in hidden.groupby(["source", ref_col])}
        section = text.split(f"<h3>{p.stem}</h3>", 1)[1].split("<h3>", 1)[0]
        lines = re.findall(r"<tr class='collapsed'><td class='t'>([^<]*)</td><td class='t' "
                           r"colspan='\d+'>[^:<]*: ([^<]*)</td>", section)
        shown = {k: sorted(v.split(", ")) for k, v in lines}
        assert shown == expected, p.stem
        found += len(expected)
        rows = re.findall(r"<tr><td[^>]*>[^<]*</td><td[^>]*>[^<]*</td><td[^>]*>[^<]*</td>"
                          r"<td[^>]*>([^<]*)</td></tr>", section)
        assert len(rows) == (df["suppressed"] == "false").sum()
        assert all(re.fullmatch(r"\d[\d,]*", n) for n in rows), rows
    assert found, "the demo job's concordance has suppressed cells"


def test_report_with_rounding(run):  # reruns quality and the report: the analysis tables go
    d = run["dir"]
    (d / "data" / "job_round.yaml").write_text(_job("5"))
    lj = load_job(d / "data" / "job_round.yaml")
    res = run["result"]
    engine = open_engine("duckdb")
    try:
        from spinelink.quality import run_stage as quality_stage

        ctx = StageContext(engine, lj, run["out"], res.accounting, res.summary, res.timings)
        quality_stage(ctx)
        report_stage(ctx)
    finally:
        engine.close()
    cells, chart_counts = _report_counts(run["out"] / "report.html")
    numbers = [int(v.replace(",", "")) for k, v in cells if v.replace(",", "").isdigit()]
    assert numbers and all(n % 5 == 0 for n in numbers)
    assert all(n % 5 == 0 for n in chart_counts)


# ---- readability: wide tables, suppressed values, calibration, clipped m/u scale ------

@needs_chromium
def test_page_fits_1400_px_and_wide_tables_scroll_in_their_wrapper(run, tmp_path):
    page = tmp_path / "report.html"
    probe = ("<script>(function(){ var d = document.documentElement, w = 0;"
             "document.querySelectorAll('table').forEach(function(t){"
             "  var box = t.closest('.scroll');"
             "  if (!box || getComputedStyle(box).overflowX !== 'auto') w += 1; });"
             "document.body.setAttribute('data-page-width', String(d.scrollWidth));"
             "document.body.setAttribute('data-unwrapped', String(w)); })();</script>")
    text = (run["out"] / "report.html").read_text()
    end = text.rindex("</body>")
    page.write_text(text[:end] + probe + text[end:])
    dom = _chromium(tmp_path, "--window-size=1400,900", "--dump-dom", page.as_uri()).stdout
    body = re.search(r"<body([^>]*data-page-width[^>]*)>", dom)
    assert body, "the probe did not run"
    attrs = dict(re.findall(r'(data-[\w-]+)="([^"]*)"', body.group(1)))
    assert int(attrs["data-page-width"]) <= 1400, attrs
    assert attrs["data-unwrapped"] == "0"


def test_suppressed_values_are_one_line_per_variable_not_rows_of_blanks(run):
    text = (run["out"] / "report.html").read_text()
    parser = _Cells()
    parser.feed(text)
    sub = [r for r in parser.rows if "n_reference" in r and r.get("variable") != "variable"]
    assert sub and all(r["n_reference"].strip() for r in sub), "a row of blanks is shown"
    lines = re.findall(r"<tr class='collapsed'><td class='t'>([^<]*)</td><td class='t' "
                       r"colspan='\d+'>(\d+ values?) suppressed", text)
    assert lines  # the demo job's small ethnic groups
    import pandas as pd

    s = pd.read_csv(run["out"] / "quality" / "subgroups.csv", dtype=str)
    hidden = s[(s["suppressed"] == "true") & (s["source"] == s["source"].iat[0])
               & (s["basis"] == "model")]
    first = next(v for k, v in lines if k == hidden["variable"].iat[0])
    assert first.split()[0] == str((hidden["variable"] == hidden["variable"].iat[0]).sum())


def test_calibration_is_tables_not_json(run):
    text = re.sub(r"<script.*?</script>", "", (run["out"] / "report.html").read_text(),
                  flags=re.S)
    assert "<pre>{" not in text and '"bins"' not in text
    assert "Reliability by match-weight bin" in text and "verdict: <b>" in text
    assert "Check of the deterministic links" in text


def test_model_weight_scale_is_clipped_so_one_level_does_not_squash_the_others():
    import pandas as pd

    from spinelink.report import charts

    params = pd.DataFrame({"source": "s", "comparison": ["id"] * 3 + ["name"] * 3,
                           "level": ["exact", "typo", "else", "exact", "close", "else"],
                           "m": 0.5, "u": 0.1,
                           "weight": [38.0, 9.0, -6.0, 8.5, 3.0, -5.5]})
    spec = charts.model_weights(params)
    lo, hi = spec["spec"]["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert lo == -6.0 and 10 <= hi < 38
    rows = {r["label"]: r for r in spec["data"]["values"]}
    assert rows["id: exact"]["clipped"] and rows["id: exact"]["shown"] == hi
    assert rows["id: exact"]["weight"] == 38.0  # the label and tooltip show the real value
    assert not any(r["clipped"] for k, r in rows.items() if k != "id: exact")
    even = params.assign(weight=[9.0, 7.0, -6.0, 8.5, 3.0, -5.5])
    lo, hi = charts.weight_domain(even["weight"])
    assert (lo, hi) == (-6.0, 9.0)  # weights of one order: nothing clipped


def test_quality_warnings_are_shown_beside_the_estimate():
    from spinelink.report.build import quality_estimate

    info = {"overall": {"est_precision": 0.99, "est_precision_low": 0.98,
                        "est_precision_high": 1.0, "est_recall": 0.9,
                        "warnings": ["few pairs <50: interval unreliable"]},
            "warnings": [{"code": "em", "message": "EM did not converge"}],
            "calibration": {"verdict": "ok", "warnings": ["few null records"]},
            "diagnostics": {"em_iterations": 25}}
    out = quality_estimate("benefits", info)
    assert "estimated precision 0.9900 (0.9800-1.0000)" in out
    assert "<p class='warning' role='note'>Warning: few pairs &lt;50: interval unreliable" in out
    assert "code: em; message: EM did not converge" in out
    assert "Warning: few null records" in out  # nested in the source's entry: found too
    assert "em iterations" in out
    assert "warning" not in quality_estimate("benefits", {"overall": {"est_recall": 0.9}})



def test_expected_false_links_are_shown_on_one_scale(run):
    """The thresholds table showed 9.7900 expected false links for one source and 33.2 for
    another (four decimals under 10, one above), and the calibration check 0.0400 beside
    186.6: every expected number of false links has two decimals, from the run's own
    figures."""
    import json

    text = (run["out"] / "report.html").read_text()
    parser = _Cells()
    parser.feed(text)
    man = json.loads((run["out"] / "run_manifest.json").read_text())
    rows = [r for r in parser.rows if r.get("expected_false_links")
            and r["expected_false_links"] != "expected_false_links"]
    assert rows
    for r in rows:
        th = man["links"][r["source"]]["probabilistic"]["thresholds"]
        assert r["expected_false_links"] == f"{th['expected_false_links']:,.2f}", r
    kv = re.findall(r"<td class='t'>([^<]*expected false links[^<]*)</td><td>([^<]*)</td>",
                    text)
    assert kv and all(re.fullmatch(r"[\d,]+\.\d\d", v) for _, v in kv), kv
