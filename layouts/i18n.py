"""Every text of the wall in Chinese and English, and numbers and times formatted for the language
(Babel). `?lang=zh` (the default) or `?lang=en`."""

from __future__ import annotations

from datetime import datetime, time
from functools import lru_cache

from babel.dates import format_datetime, format_time
from babel.numbers import format_decimal, format_percent

from layouts.i18n_manager import MANAGER_TEXT
from layouts.i18n_track import TRACK_TEXT

LANGS = ("zh", "en")
LOCALES = {"zh": "zh_CN", "en": "en_US"}

TEXT = {
    "title": ("港口脉动 · 全链路可视化", "Port Pulse · end-to-end visibility"),
    "demo": ("演示数据", "DEMO DATA"),
    "live": ("实时", "LIVE"),
    "stale_since": ("数据自 {since} 起未更新：{why}", "Not updating since {since}: {why}"),
    "why_socket": ("与服务器的连接已断开", "the connection to the server is lost"),
    "why_heartbeat": ("10秒未收到心跳", "no heartbeat for 10 s"),
    "why_redis": ("数据存储不可用", "the event store is down"),
    "why_consumer": ("数据处理停滞", "event processing is stuck"),
    "why_restarted": ("服务已重启，本屏未收到其最新数据", "the service restarted and its latest data has not arrived"),
    "why_missed": ("本屏漏收了更新，仍未补上", "this screen missed updates and has not caught up"),
    "badge_stale": ("✖ 未更新", "✖ NOT LIVE"),
    "badge_catching_up": ("◔ 追赶中：落后 {n} 秒", "◔ catching up: {n} s behind"),
    "badge_syncing": ("◔ 同步中…", "◔ syncing…"),
    "vessels": ("船舶", "Vessels"), "gate_lifts": ("闸口抬杆/小时", "Gate lifts / hour"),
    "inspections": ("查验", "Inspections"),
    "cap_at_berth": ("在泊", "at berth"), "cap_at_anchor": ("锚地", "at anchor"),
    "cap_expected_24h": ("24h预抵", "due 24 h"), "cap_in": ("进闸", "in"), "cap_out": ("出闸", "out"),
    "cap_done_today": ("今日完成", "done today"), "cap_pending": ("待查验", "pending"),
    "cap_mean": ("均值", "mean"),
    "vessels_at_berth": ("在泊船舶", "Vessels at berth"),
    "vessels_at_anchor": ("锚地待泊", "At anchor"),
    "vessels_expected": ("24小时预抵", "Expected 24 h"),
    "boxes_in_port": ("在港箱量", "Boxes in port"),
    "gate_in": ("进闸/小时", "Gate in / h"),
    "gate_out": ("出闸/小时", "Gate out / h"),
    "inspections_done": ("今日查验完成", "Inspected today"),
    "inspections_pending": ("待查验", "Pending inspection"),
    "clearance_import": ("进口整体通关(时)", "Import clearance (h)"),
    "clearance_export": ("出口整体通关(时)", "Export clearance (h)"),
    "arrival_to_pickup": ("抵港到提箱(时)", "Arrival → pickup (h)"),
    "diversion_share": ("智能分流占比", "Smart diversion"),
    "moves_saved": ("节省作业次数", "Moves saved"),
    "vs_last_7_days": ("较前7天", "vs last 7 days"),
    "import": ("进口", "Import"),
    "export": ("出口", "Export"),
    "stage_awaiting_discharge": ("待卸船", "Awaiting discharge"),
    "stage_awaiting_release": ("待放行", "Awaiting release"),
    "stage_in_inspection": ("查验中", "In inspection"),
    "stage_awaiting_pickup": ("待提箱", "Awaiting pickup"),
    "stage_gated_out": ("已出闸(24h)", "Gated out (24 h)"),
    "stage_awaiting_gate_in": ("待进闸", "Awaiting gate-in"),
    "stage_awaiting_loading": ("待装船", "Awaiting loading"),
    "stage_loaded": ("已装船(24h)", "Loaded (24 h)"),
    "median_dwell": ("中位滞留 {hours}时", "median {hours} h"),
    "berths": ("泊位计划与实际", "Berths: planned and actual"),
    "schematic": ("港区态势", "The port now"),
    "ticker": ("实时动态", "Live events"),
    "alerts": ("延误与滞留预警", "Delays and stuck boxes"),
    "delayed_vessel": ("{name} 延误：{why}", "{name} delayed: {why}"),
    "stuck_box": ("{number} 滞留于{stage}，等待{party}，自 {since}", "{number} stuck in {stage}, waiting on {party} since {since}"),
    "no_alerts": ("暂无预警", "No delays"),
    "feeds": ("数据源健康", "Feed health"),
    "services": ("口岸服务", "Port services"),
    "boarding": ("登轮预约", "Boarding appointments"),
    "certs": ("原产地证书", "Certificates of origin"),
    "health_decl": ("健康申报", "Health declarations"),
    "per_minute": ("{n}/分", "{n}/min"),
    "party_terminal": ("码头", "terminal"), "party_customs": ("海关", "customs"),
    "party_inspection": ("查验场", "inspection site"), "party_trucking": ("车队", "trucking"),
    "reason_berthed_late": ("靠泊晚于预计", "berthed late"), "reason_overdue": ("逾期未靠", "overdue"),
    "reason_boxes_late": ("箱子滞留", "boxes late"),
    "event_gate.in": ("进闸", "Gate in"), "event_gate.out": ("出闸", "Gate out"),
    "event_vessel.berthed": ("靠泊", "Berthed"), "event_inspection.completed": ("查验完成", "Inspected"),
    "sla_ok": ("正常", "on time"), "sla_warn": ("接近时限", "near SLA"), "sla_late": ("超时", "late"),
    "planned": ("计划", "planned"), "actual": ("实际", "actual"),
    # the presenters' what-if on /demo and the reconstruction report at /demo/report
    "whatif_title": ("假如：平台措施", "What if: the platform's measures"),
    "whatif_hint": ("勾选或取消措施，瀑布图即时更新；“应用到大屏”以这些措施重新开始当前场景。",
                    "Tick or untick a measure: the waterfall follows at once; “Apply to the wall” restarts "
                    "the current scenario with them."),
    "whatif_apply": ("应用到大屏", "Apply to the wall"),
    "whatif_import": ("进口整体通关时间变化", "Import clearance: change"),
    "whatif_export": ("出口整体通关时间变化", "Export clearance: change"),
    "whatif_axis": ("百分点", "percentage points"),
    "whatif_total": ("模型合计", "Model total"),
    "whatif_unexplained": ("未解释部分", "Unexplained"),
    "whatif_published": ("公布值 {value}", "published {value}"),
    "whatif_totals": ("所选措施合计：进口 {imp}，出口 {exp}（{seeds} 个随机种子，95% 置信区间）",
                      "With these measures: import {imp}, export {exp} (over {seeds} seeds, 95 % interval)"),
    "whatif_no_report": ("尚无重建报告，生成方法：", "No reconstruction report yet; make it with:"),
    "demo_measures_on": ("生效措施：{n} 项", "Measures in force: {n}"),
    "report_link": ("前后对比重建报告", "The before/after reconstruction report"),
    "report_title": ("前后对比重建：上半年同比", "Before/after reconstruction: the first half-year, year on year"),
    "report_port_wide": ("全港整体通关时间（均值）", "Port-wide overall clearance time (mean)"),
    "report_direction": ("方向", "Direction"), "report_before": ("之前", "Before"), "report_after": ("之后", "After"),
    "report_change": ("变化（95% 置信区间）", "Change (95 % interval)"), "report_published": ("公布值", "Published"),
    "report_waterfall": ("各措施的贡献", "Each measure's share"),
    "report_diverted": ("智能分流的箱子（同一箱子前后配对）", "Diverted boxes (the same box, before and after)"),
    "report_moves": ("码头作业次数", "Moves at the terminal"),
    "report_hours": ("到达首个目的地的时间（时）", "Hours to the first destination"),
    "report_boxes": ("箱数：{n}", "Boxes: {n}"),
    "report_assumptions": ("假设（无公开来源的参数）", "Assumptions (parameters without a public source)"),
    "report_seeds": ("{seeds} 个随机种子的均值", "Means over {seeds} seeds"),
    "report_back": ("返回演示控制", "Back to the demo controls"),
}
TEXT.update(MANAGER_TEXT)
TEXT.update(TRACK_TEXT)


def text(key: str, lang: str, **values) -> str:
    pair = TEXT.get(key)
    if pair is None:
        return key
    template = pair[0] if lang == "zh" else pair[1]
    return template.format(**values) if values else template


def stage_name(stage: str | None, lang: str) -> str:
    """A box's stage; the two final ones without the wall's "(24 h)"."""
    if not stage:
        return "—"
    return text(f"done_{stage}" if stage in ("gated_out", "loaded") else f"stage_{stage}", lang)


@lru_cache(maxsize=8192)  # the wall words the same counts many times a second
def number(value: float | int | None, lang: str, digits: int = 0) -> str:
    if value is None:
        return "—"
    return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=LOCALES[lang])


def share(value: float | None, lang: str) -> str:
    return "—" if value is None else format_percent(value, format="#,##0%", locale=LOCALES[lang])


def change(value: float | None, lang: str) -> str:
    """A signed percentage: negative is faster."""
    if value is None:
        return "—"
    return ("+" if value > 0 else "") + format_decimal(value, format="#,##0.0", locale=LOCALES[lang]) + "%"


def clock(moment: datetime, lang: str) -> str:
    return format_datetime(moment, "yyyy-MM-dd HH:mm:ss", locale=LOCALES[lang])


def short_time(moment: datetime, lang: str) -> str:
    return _hours_minutes(moment.hour, moment.minute, lang)  # the moment's own zone's wall time


@lru_cache(maxsize=4096)  # the ticker words the same minutes many times a second
def _hours_minutes(hour: int, minute: int, lang: str) -> str:
    return format_time(time(hour, minute), "HH:mm", locale=LOCALES[lang])


def pick(lang: str | None) -> str:
    return lang if lang in LANGS else "zh"


def stamp(text_time: str | None, lang: str) -> str:
    """An RFC 3339 time (already in the port's zone) as the pages show it: `2026-11-27 08:05`."""
    if not text_time:
        return "—"
    return format_datetime(datetime.fromisoformat(text_time), "yyyy-MM-dd HH:mm", locale=LOCALES[lang])


def duration(seconds: float | None, lang: str) -> str:
    """A span as days, hours and minutes: `1 d 2 h 05 min` / `1天2时05分`."""
    if seconds is None:
        return "—"
    minutes = int(round(abs(seconds) / 60))
    days, rest = divmod(minutes, 1440)
    hours, minutes = divmod(rest, 60)
    units = ("天", "时", "分") if lang == "zh" else (" d ", " h ", " min")
    parts = ([f"{days}{units[0]}"] if days else []) + ([f"{hours}{units[1]}"] if days or hours else [])
    text_span = "".join(parts) + (f"{minutes:02d}" if parts else f"{minutes}") + units[2]
    return ("−" if seconds < 0 else "") + text_span.strip()
