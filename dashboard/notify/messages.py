"""What a notice says, in Chinese and English: a milestone made into a notice, and one notice (or
a digest's several) put into each channel's words. Pure: no Redis, no Flask."""

from __future__ import annotations

from dashboard.notify.milestones import notice_id, subject_link

TITLES = {
    "released": ("箱 {key} 已放行", "Box {key} released"),
    "inspection_ordered": ("箱 {key} 被布控查验", "Inspection ordered for box {key}"),
    "inspection_done": ("箱 {key} 查验完成", "Inspection of box {key} done"),
    "ready_for_pickup": ("箱 {key} 可提箱", "Box {key} ready for pickup"),
    "vessel_berthed": ("船舶 {name} 已靠泊", "Vessel {name} berthed"),
    "vessel_delayed": ("船舶 {name} 延误", "Vessel {name} delayed"),
}
TEXTS = {
    "released": ("海关已放行，时间 {at}。", "Released by customs at {at}."),
    "inspection_ordered": ("海关布控查验，时间 {at}。", "Selected for inspection at {at}."),
    "inspection_done": ("查验于 {at} 完成。", "Inspection finished at {at}."),
    "ready_for_pickup": ("已卸船并放行，可安排提箱（{at}）。",
                         "Discharged and released: ready for pickup ({at})."),
    "vessel_berthed": ("航次 {voyage} 于 {at} 靠泊。", "Voyage {voyage} all fast at berth at {at}."),
    "vessel_delayed": ("航次 {voyage} 延误：{reasons}（{at}）。", "Voyage {voyage} delayed: {reasons} ({at})."),
}
DIGEST = ("港口脉动：{n} 条新通知", "Port Pulse: {n} new notices")
MORE = ("查看", "Open")


def milestone_notice(milestone: dict, vessel_name: str | None = None) -> dict:
    """A milestone as a notice: the same id, texts and link for every recipient."""
    kind, subject = milestone["kind"], milestone["subject"]
    values = {"key": subject[1], "name": vessel_name or f"IMO {subject[1]}", "at": milestone["at"],
              "voyage": subject[2] if subject[0] == "vessel" and subject[2] else "—",
              "reasons": ", ".join(milestone.get("reasons") or ())}
    return {
        "id": notice_id(subject, kind), "kind": kind, "at": milestone["at"], "event_id": milestone.get("event_id"),
        "subject": {"kind": subject[0], "key": subject[1],
                    ("visit_start_ms" if subject[0] == "box" else "voyage"): subject[2]},
        "title": {lang: TITLES[kind][i].format(**values) for i, lang in enumerate(("zh", "en"))},
        "text": {lang: TEXTS[kind][i].format(**values) for i, lang in enumerate(("zh", "en"))},
        "link": subject_link(subject),
    }


def _index(lang: str) -> int:
    return 0 if lang == "zh" else 1


def headline(items: list[dict], lang: str) -> str:
    return items[0]["title"][lang] if len(items) == 1 else DIGEST[_index(lang)].format(n=len(items))


def markdown(items: list[dict], lang: str, base_url: str) -> str:
    """One notice, or a digest's list of them, as markdown with a link to each one's page."""
    more = MORE[_index(lang)]
    lines = [f"### {headline(items, lang)}"] if len(items) > 1 else []
    for item in items:
        prefix = "- " if len(items) > 1 else ""
        bold = f"**{item['title'][lang]}**" if len(items) == 1 else item["title"][lang]
        lines.append(f"{prefix}{bold}  \n{item['text'][lang]} [{more}]({base_url}{item['link']})")
    return "\n".join(lines)


def plain_text(items: list[dict], lang: str, base_url: str) -> str:
    return "\n\n".join(f"{item['title'][lang]}\n{item['text'][lang]}\n{base_url}{item['link']}" for item in items)


def webhook_body(delivery_notice: str, items: list[dict], base_url: str, digest: bool) -> dict:
    """The JSON a webhook gets: the delivery's notice id and every notice, both languages."""
    return {"noticeId": delivery_notice, "digest": digest,
            "notices": [{**item, "url": base_url + item["link"]} for item in items]}
