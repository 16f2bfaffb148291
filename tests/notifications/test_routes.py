"""Routing (pure, hand-worked) and the routes file's errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from greenport.accounts.model import RowScope
from greenport.notifications.model import Channel, Recipient, Severity
from greenport.notifications.routes import RoutesError, load_routes, parse_routes, recipients, shipped_routes
from tests.notifications.conftest import make_notice
from tests.regions.conftest import TOWN, TOWN_2

ROUTES = """
retry: {delays_seconds: [60, 300], claim_seconds: 600}
routes:
  - {name: bell, channel: in_app, topics: [alarm], roles: [city_admin, town_officer, enterprise, department]}
  - {name: mail_major, channel: email, topics: [alarm], min_severity: major, roles: [town_officer, enterprise]}
  - name: robot_town_2
    channel: webhook
    topics: [alarm]
    min_severity: critical
    flavour: wecom
    url_env: GREENPORT_WEBHOOK_TOWN_2
    towns: ["<second town>"]
""".replace("<second town>", TOWN_2)

PEOPLE = [
    Recipient(user_id=1, role="city_admin", scope=RowScope(), email="admin@x.cn"),
    Recipient(user_id=2, role="town_officer", scope=RowScope(town_codes=frozenset({TOWN})), email="a@x.cn"),
    Recipient(user_id=3, role="town_officer", scope=RowScope(town_codes=frozenset({TOWN_2})), email="b@x.cn"),
    Recipient(user_id=4, role="enterprise", scope=RowScope(enterprise_id=7), email="firm7@x.cn"),
    Recipient(user_id=5, role="enterprise", scope=RowScope(enterprise_id=8), email="firm8@x.cn"),
    Recipient(user_id=6, role="public", scope=RowScope(disclosed_only=True), email="citizen@x.cn"),
    Recipient(user_id=7, role="department", scope=RowScope(park_id=1)),
]


def test_a_town_officer_hears_only_of_their_town_and_firms_only_of_their_own() -> None:
    config = parse_routes(ROUTES, source="test.yaml")
    notice = make_notice(town_code=TOWN, enterprise_id=7, park_id=1, severity=Severity.MAJOR)
    assert recipients(notice, config.routes, PEOPLE) == [
        (Channel.IN_APP, "1"),  # city: everything
        (Channel.IN_APP, "2"),  # officer of TOWN
        (Channel.IN_APP, "4"),  # firm 7's own outlet
        (Channel.IN_APP, "7"),  # the park's committee
        (Channel.EMAIL, "a@x.cn"),
        (Channel.EMAIL, "firm7@x.cn"),
    ]


def test_severity_threshold_and_webhook_towns() -> None:
    config = parse_routes(ROUTES, source="test.yaml")
    minor = make_notice(town_code=TOWN_2, severity=Severity.MINOR)
    assert recipients(minor, config.routes, PEOPLE) == [(Channel.IN_APP, "1"), (Channel.IN_APP, "3")]
    critical = make_notice(town_code=TOWN_2, severity=Severity.CRITICAL)
    assert (Channel.WEBHOOK, "robot_town_2") in recipients(critical, config.routes, PEOPLE)
    # the robot of TOWN_2 hears nothing of TOWN
    assert (Channel.WEBHOOK, "robot_town_2") not in recipients(
        make_notice(town_code=TOWN, severity=Severity.CRITICAL), config.routes, PEOPLE
    )


def test_the_public_is_never_notified_even_when_a_file_names_it() -> None:
    config = parse_routes(ROUTES, source="test.yaml")
    every = recipients(make_notice(severity=Severity.CRITICAL), config.routes, PEOPLE)
    assert not any(r in ("6", "citizen@x.cn") for _, r in every)
    with pytest.raises(RoutesError, match=r"routes\[0\] \(bell\)\.roles: public is never notified"):
        parse_routes(ROUTES.replace("roles: [city_admin,", "roles: [public, city_admin,"), source="test.yaml")


def test_the_shipped_routes_load_and_reach_officers_by_mail_only_from_major() -> None:
    config = shipped_routes()
    assert config.retry.max_attempts == 6
    officer = [PEOPLE[1]]
    assert recipients(make_notice(severity=Severity.MINOR), config.routes, officer) == [(Channel.IN_APP, "2")]
    assert (Channel.EMAIL, "a@x.cn") in recipients(
        make_notice(severity=Severity.MAJOR), config.routes, officer
    )


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            ("min_severity: major", "min_severity: huge"),
            r"routes\[1\] \(mail_major\)\.min_severity: must be one of",
        ),
        (("channel: email", "channel: sms"), r"routes\[1\] \(mail_major\)\.channel: must be one of"),
        (
            ("url_env: GREENPORT_WEBHOOK_TOWN_2", "url_env: https://oapi.dingtalk.com/x"),
            r"routes\[2\] \(robot_town_2\)\.url_env",
        ),
        (("flavour: wecom", "flavour: slack"), r"routes\[2\] \(robot_town_2\)\.flavour"),
        (("topics: [alarm], roles", "topics: [weather], roles"), r"routes\[0\] \(bell\)\.topics"),
        (
            ("name: mail_major", "name: bell"),
            r"routes\[1\] \(bell\)\.name: duplicate name \(first at routes\[0\]\)",
        ),
        (
            ("min_severity: major, roles", "min_severity: major, url_env: GREENPORT_WEBHOOK_X, roles"),
            r"routes\[1\] \(mail_major\)\.url_env: is not a field of a email route",
        ),
        (("delays_seconds: [60, 300]", "delays_seconds: [60, -1]"), r"retry\.delays_seconds"),
    ],
)
def test_a_bad_routes_file_names_file_route_and_field(
    tmp_path: Path, change: tuple[str, str], where: str
) -> None:
    path = tmp_path / "my-routes.yaml"
    path.write_text(ROUTES.replace(*change), encoding="utf-8")
    with pytest.raises(RoutesError, match=r"my-routes\.yaml: " + where) as caught:
        load_routes(path)
    assert caught.value.to_dict()["file"] == str(path)


def test_a_missing_routes_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RoutesError, match=r"nowhere\.yaml: cannot be read"):
        load_routes(tmp_path / "nowhere.yaml")
