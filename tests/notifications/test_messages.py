"""Message shapes: e-mail, DingTalk and WeCom robot JSON, DingTalk signing, masking secrets."""

from __future__ import annotations

from greenport.notifications.messages import (
    dingtalk_sign,
    email_message,
    mask_url,
    robot_payload,
    signed_url,
)
from greenport.notifications.model import Flavour
from tests.notifications.conftest import make_notice


def test_dingtalk_sign_matches_the_published_algorithm() -> None:
    # Test vector of the `dingding` crate (src/signature.rs), which implements DingTalk's
    # documented HmacSHA256(secret, timestamp + "\n" + secret) -> Base64 -> urlEncode.
    assert dingtalk_sign(1700000000000, "secret") == "OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"
    assert signed_url(
        "https://oapi.dingtalk.com/robot/send?access_token=T", secret="secret", timestamp_ms=1700000000000
    ) == (
        "https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000"
        "&sign=OuzzJR5%2BxZ4%2FEYwqtNt6sMYZQMTa%2FHEGvc9miJe7XzY%3D"
    )


def test_robot_payloads_have_each_vendors_markdown_shape() -> None:
    notice = make_notice()
    ding = robot_payload(notice, Flavour.DINGTALK, base_url="https://gp.example.cn")
    assert ding["msgtype"] == "markdown" and set(ding["markdown"]) == {"title", "text"}
    assert ding["markdown"]["title"] == "SO2 小时均值超标"
    assert "https://gp.example.cn/alarms/12" in ding["markdown"]["text"]
    wecom = robot_payload(notice, Flavour.WECOM)
    assert wecom["msgtype"] == "markdown" and set(wecom["markdown"]) == {"content"}
    text = wecom["markdown"]["content"]
    assert text.index("超标") < text.index("over the limit")  # Chinese first
    long = robot_payload(make_notice(body_zh="超" * 3000), Flavour.WECOM)
    assert len(long["markdown"]["content"].encode("utf-8")) <= 4096


def test_email_is_chinese_first_then_english() -> None:
    message = email_message(make_notice(), to="a@town.example", from_addr="gp@city.example")
    assert message["To"] == "a@town.example"
    assert message["Subject"] == "[重要/major] SO2 小时均值超标 / SO2 hourly mean over the limit"
    body = message.get_content()
    assert body.index("DA-A 排口") < body.index("Outlet DA-A")
    assert "2026-05-01 10:00" in body  # Beijing time


def test_secrets_in_a_robot_url_are_masked() -> None:
    text = "POST https://oapi.dingtalk.com/robot/send?access_token=abc123&timestamp=1&sign=xyz%3D failed"
    assert (
        mask_url(text)
        == "POST https://oapi.dingtalk.com/robot/send?access_token=***&timestamp=1&sign=*** failed"
    )
    assert mask_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-1") == (
        "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=***"
    )
