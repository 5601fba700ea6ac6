"""Alerts with owners (docs/alerts.md): the wall's delays and stuck boxes as alerts with a life.

- `rules`: from the state, the conditions that are alerts now (pure: no Redis, no Flask);
- `store`: open alerts and their history in the port's Redis;
- `lifecycle`: the leader job that raises, resolves and escalates them;
- `marks`: the open alerts as the wall's push reads them (a short cache).
"""
