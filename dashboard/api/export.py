"""`GET /vessels/<imo>/boxes.csv`: a call's box table as the page shows it, in the page's
language, as UTF-8 with a byte-order mark (so Excel opens Chinese text cleanly). Managers, and an
organisation's members with its own boxes only (dashboard/access.py)."""

from __future__ import annotations

import re

import pandas as pd
from flask import Blueprint, Response, g, request

from dashboard import reports
from dashboard.api.ingest import error_response, service
from layouts.i18n import pick, text
from layouts.vessels import box_rows

CSV_COLUMNS = ("number", "direction", "stage", "since", "hours_in_stage", "sla", "waiting_on", "delay_hours")

bp = Blueprint("export", __name__)


@bp.get("/vessels/<imo>/boxes.csv")
def vessel_boxes_csv(imo: str) -> Response:
    lang = pick(request.args.get("lang"))
    try:
        view = reports.vessel_report(service(), imo, identities=g.credential.identities)
    except reports.NotFound as missing:
        return error_response(missing.status, missing.error, missing.problem)
    rows = box_rows(view["boxes"], lang)
    for row, box in zip(rows, view["boxes"]):
        row["since"] = box["since"]
    frame = pd.DataFrame.from_records(rows, columns=list(CSV_COLUMNS))
    frame.columns = [text(f"col_{column}", lang) for column in CSV_COLUMNS]
    body = frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    name = re.sub(r"[^A-Za-z0-9_-]", "", f"{view['imo']}-{view['voyage'] or ''}")
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}-boxes.csv"', "Cache-Control": "no-store"})
