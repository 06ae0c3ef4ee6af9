"""The report's section on the previous delivery (issue 17): each linked source's delivery,
the one it was compared with, and the indicators that fell by more than their interval."""
from __future__ import annotations

import html as _html

import pandas as pd

from spinelink.report.html import table, warning

COLUMNS = ["variable", "value", "indicator", "previous", "previous_low", "previous_high",
           "current", "current_low", "current_high"]


def section(result: dict | None) -> list[tuple[str, str]]:
    """[] when the job has no catalogue; else one (title, html) section."""
    if not result:
        return []
    parts = []
    for name, r in result["sources"].items():
        head = (f"<h3>{_html.escape(name)}: delivery {_html.escape(r['delivery_id'])}</h3>")
        if not r["previous_id"]:
            parts.append(head + "<p class='note'>No earlier delivery of this source in the "
                         "catalogue to compare with.</p>")
            continue
        body = f"<p>Compared with delivery {_html.escape(r['previous_id'])}.</p>"
        if r["flags"]:
            body += warning(f"{len(r['flags'])} indicators fell by more than their interval "
                            f"since {r['previous_id']}") + table(pd.DataFrame(r["flags"]),
                                                                  COLUMNS, ("variable",
                                                                            "value",
                                                                            "indicator"))
        else:
            body += "<p class='note'>No indicator fell by more than its interval.</p>"
        parts.append(head + body)
    return [("Compared with the previous delivery", "".join(parts))]
