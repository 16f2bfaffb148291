"""Message shapes (pure): the e-mail and the group-robot JSON of a notice, DingTalk signing, and
masking a robot URL for logs and errors.

Group robots (both accept ``{"msgtype": "markdown", "markdown": {...}}``, with different fields):

* DingTalk custom robot (钉钉自定义机器人, open.dingtalk.com "custom-robot-access"):
  ``{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}}`` — ``title`` is what the
  conversation list shows, ``text`` the markdown. With 加签 (signing) the URL gets
  ``&timestamp=<ms>&sign=<urlencode(base64(HmacSHA256(key=secret, msg=timestamp + "\\n" + secret)))>``;
  the timestamp is milliseconds since the epoch and must be within an hour of DingTalk's clock.
* WeCom group robot (企业微信群机器人, developer.work.weixin.qq.com "群机器人配置说明"):
  ``{"msgtype": "markdown", "markdown": {"content": ...}}``, content at most 4096 bytes (UTF-8).

Both shapes were checked against public SDKs and write-ups of the vendors' documents
(DingtalkChatbot, dingtalk-robot-sdk, the ``dingding`` crate's signature test vector; WeCom:
node-red-contrib-wecom-group-chat-bot and CSDN 111051239 quoting the vendor's examples).
Text is Chinese first, English after, like every GreenPort page default.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from email.message import EmailMessage
from typing import Any
from urllib.parse import quote_plus

from greenport.kernel.time import format_local
from greenport.notifications.model import Flavour, Notice

#: Chinese names of the severities (the e-mail subject's tag).
SEVERITY_ZH = {"info": "提示", "minor": "一般", "major": "重要", "critical": "紧急"}
#: Longest WeCom markdown content [bytes, UTF-8] (the robot refuses longer ones).
WECOM_MAX_BYTES = 4096
#: Query parameters of a robot URL that are secrets (DingTalk ``access_token``/``sign``, WeCom ``key``).
SECRET_PARAMS = ("access_token", "sign", "key", "secret", "token")


def _full_link(notice: Notice, base_url: str) -> str:
    return base_url.rstrip("/") + notice.link if base_url else notice.link


def email_message(notice: Notice, *, to: str, from_addr: str, base_url: str = "") -> EmailMessage:
    """The e-mail of ``notice`` to ``to``: subject ``[重要/major] 标题 / title``, a plain text body,
    Chinese first, English after, with the link (absolute when ``base_url`` is given)."""
    message = EmailMessage()
    severity = str(notice.severity)
    message["Subject"] = (
        f"[{SEVERITY_ZH.get(severity, severity)}/{severity}] {notice.title_zh} / {notice.title_en}"
    )
    message["From"] = from_addr
    message["To"] = to
    when = format_local(notice.occurred_at)
    link = _full_link(notice, base_url)
    message.set_content(
        f"{notice.title_zh}\n\n{notice.body_zh}\n\n时间（北京时间）：{when}\n详情：{link}\n\n"
        f"---\n\n{notice.title_en}\n\n{notice.body_en}\n\nTime (Beijing): {when}\nDetails: {link}\n"
    )
    return message


def robot_markdown(notice: Notice, *, base_url: str = "") -> str:
    """The markdown text both robots show: title, body, time and link, Chinese then English."""
    when = format_local(notice.occurred_at)
    link = _full_link(notice, base_url)
    severity = str(notice.severity)
    link_line = f"[详情 / Details]({link})" if link.startswith("http") else f"详情 / Details: {link}"
    return (
        f"### [{SEVERITY_ZH.get(severity, severity)}] {notice.title_zh}\n\n{notice.body_zh}\n\n"
        f"> {notice.title_en}: {notice.body_en}\n\n{when}  \n{link_line}\n"
    )


def robot_payload(notice: Notice, flavour: Flavour | str, *, base_url: str = "") -> dict[str, Any]:
    """The JSON body a ``flavour`` group robot accepts for ``notice`` (shapes in the module docstring)."""
    text = robot_markdown(notice, base_url=base_url)
    if Flavour(flavour) is Flavour.DINGTALK:
        return {"msgtype": "markdown", "markdown": {"title": notice.title_zh, "text": text}}
    encoded = text.encode("utf-8")
    if len(encoded) > WECOM_MAX_BYTES:
        text = encoded[: WECOM_MAX_BYTES - 3].decode("utf-8", errors="ignore") + "…"
    return {"msgtype": "markdown", "markdown": {"content": text}}


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """DingTalk 加签: ``urlencode(base64(HmacSHA256(key=secret, msg=f"{timestamp_ms}\\n{secret}")))``.

    ``timestamp_ms`` [ms since 1970-01-01 UTC]; the result goes in the ``sign`` query parameter
    as it is (already URL-encoded, as DingTalk's own samples do with ``quote_plus``).
    """
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def signed_url(url: str, *, secret: str, timestamp_ms: int) -> str:
    """``url`` with DingTalk's ``timestamp`` and ``sign`` parameters appended."""
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp_ms}&sign={dingtalk_sign(timestamp_ms, secret)}"


_SECRET_QUERY = re.compile(r"(?i)\b(" + "|".join(SECRET_PARAMS) + r")=[^&#\s]*")


def mask_url(text: str) -> str:
    """``text`` with the values of secret query parameters (access_token, sign, key, ...) as ``***``:
    what a log line or an error may say about a robot URL."""
    return _SECRET_QUERY.sub(lambda m: f"{m.group(1)}=***", text)
