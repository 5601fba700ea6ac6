"""Tables for the pages and the API, built as DataFrames from state views on demand."""

from __future__ import annotations

import pandas as pd

BOX_COLUMNS = ["number", "direction", "stage", "since", "hours_in_stage", "sla", "waiting_on", "late", "delay_hours"]


def vessel_box_table(boxes: list[dict]) -> pd.DataFrame:
    """A call's boxes, the late ones first (most delay first), then by number."""
    frame = pd.DataFrame.from_records(boxes, columns=BOX_COLUMNS)
    if frame.empty:
        return frame
    frame = frame.sort_values(["delay_hours", "number"], ascending=[False, True], kind="stable")
    return frame.astype(object).where(frame.notna(), None)  # a missing value is None, never NaN

