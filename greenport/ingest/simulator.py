"""``greenport simulate``: HJ 212 data loggers of the demo city, as an independent TCP client.

Each simulated device keeps one connection, sends real-time uploads (CN 2011, Flag 5 = 2017 +
ack) at ``rate`` frames per second, and keeps every frame until its 9014 arrives; after a lost
connection it reconnects and re-sends all unacknowledged frames first (as field loggers do,
monitoring reference §3 "补发"). DataTime advances by ``step`` seconds per frame (30 s = the
usual RtdInterval), so a fast run replays hours of data and a slow run is real time.

Frames are written by this module's own small encoder (not ``greenport.protocol.encode``), so the
server is tested against a second, independent implementation of the wire format; only the CRC
function is shared.

Values are plausible for each site kind (ambient air µg/m³, CO mg/m³; flue gas mg/m³ with O2-
corrected ``ZsRtd``; water mg/L) with a diurnal cycle and noise. Injections:

``exceedance``  one outlet device sends about 3x its limit during the middle third of the run;
``offline``     one device goes silent in the middle third (its logger keeps the frames) and
                re-sends them when it is back;
``flatline``    one air station repeats the same values (a stuck analyser);
``malformed``   about 1 % of one device's frames go out with a broken CRC (never acknowledged,
                counted apart);
``crc-variant`` devices registered with the ``modbus_swapped`` CRC send it.

The result says what was injected and what it did (:class:`InjectionReport`): the device (MN),
the parameters touched, the DataTime window of the frames concerned, how many such frames were
sent and how many the server acknowledged.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from greenport.kernel.time import CHINA_TZ
from greenport.protocol import FrameBuffer, ProtocolError, crc16_hj212, crc16_modbus_swapped, decode

INJECTIONS = ("exceedance", "offline", "flatline", "malformed", "crc-variant")

#: Physical ceilings of simulated values: a relative humidity or a volume fraction cannot pass 100 %,
#: flue-gas O2 not the 21 % of air. Gaussian noise around a mean would otherwise now and then send a
#: value the server rightly refuses as implausible (kernel/data/parameter_ranges.csv).
CEILINGS: dict[str, float] = {"a01002": 100.0, "a01014": 100.0, "a19001": 21.0, "w01001": 14.0}
#: Factors that describe conditions, not pollution (temperature, humidity, pressure, O2, flow, pH,
#: dissolved oxygen, conductivity): an injected exceedance leaves them as they are.
CONDITIONS = frozenset(
    {"a01001", "a01002", "a01012", "a01013", "a01014", "a19001", "a00000"}
    | {"w00000", "w01001", "w01009", "w01010", "w01014"}
)


def simulated_value(code: str, value: float) -> float:
    """``value`` of factor ``code`` kept within what the quantity can physically be (>= 0, ceilings)."""
    return min(max(0.0, value), CEILINGS.get(code, math.inf))


#: Per site kind: ST (HJ 212-2017 Table 5) and factors (code, mean, relative noise, O2-corrected?).
PROFILES: dict[str, tuple[str, tuple[tuple[str, float, float, bool], ...]]] = {
    "air_station": (
        "22",
        (
            ("a34004", 30.0, 0.35, False),  # PM2.5 [µg/m³]
            ("a34002", 55.0, 0.35, False),  # PM10 [µg/m³]
            ("a21026", 8.0, 0.3, False),  # SO2 [µg/m³]
            ("a21004", 30.0, 0.3, False),  # NO2 [µg/m³]
            ("a21005", 0.7, 0.2, False),  # CO [mg/m³]
            ("a05024", 80.0, 0.4, False),  # O3 [µg/m³]
            ("a01001", 17.0, 0.2, False),  # air temperature [°C]
            ("a01002", 70.0, 0.15, False),  # relative humidity [%]
        ),
    ),
    "gas_outlet": (
        "31",
        (
            ("a21026", 20.0, 0.25, True),  # SO2 [mg/m³]
            ("a21002", 45.0, 0.2, True),  # NOx [mg/m³]
            ("a34013", 4.0, 0.3, True),  # particulate [mg/m³]
            ("a19001", 9.0, 0.05, False),  # O2 [%]
            ("a00000", 35.0, 0.1, False),  # flow [m³/s]
            ("a01012", 110.0, 0.05, False),  # temperature [°C]
            ("a01013", 0.3, 0.1, False),  # pressure [kPa]
            ("a01014", 8.0, 0.1, False),  # humidity [%]
        ),
    ),
    "water_outlet": (
        "32",
        (
            ("w01018", 35.0, 0.2, False),  # COD [mg/L]
            ("w21003", 1.5, 0.3, False),  # NH3-N [mg/L]
            ("w01001", 7.3, 0.03, False),  # pH
            ("w21011", 0.25, 0.3, False),  # TP [mg/L]
            ("w21001", 9.0, 0.2, False),  # TN [mg/L]
            ("w00000", 25.0, 0.2, False),  # flow [L/s]
            ("w01010", 22.0, 0.1, False),  # water temperature [°C]
            ("w01012", 12.0, 0.3, False),  # suspended solids [mg/L]
        ),
    ),
    "water_section": (
        "21",
        (
            ("w01001", 7.6, 0.03, False),  # pH
            ("w01009", 7.2, 0.1, False),  # DO [mg/L]
            ("w01019", 3.4, 0.15, False),  # CODMn [mg/L]
            ("w21003", 0.3, 0.3, False),  # NH3-N [mg/L]
            ("w21011", 0.1, 0.25, False),  # TP [mg/L]
            ("w21001", 1.8, 0.2, False),  # TN [mg/L]
            ("w01010", 18.0, 0.15, False),  # water temperature [°C]
            ("w01014", 450.0, 0.1, False),  # conductivity [µS/cm]
        ),
    ),
}


@dataclass(frozen=True)
class SimDevice:
    mn: str
    password: str
    site_kind: str = "air_station"
    crc_variant: str = "hj212"


@dataclass
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 9212
    rate: float = 1 / 30  # frames per second per device
    duration: float = 10.0  # [s] of sending
    step: float = 30.0  # [s] of DataTime per frame
    start: datetime | None = None  # DataTime of the first frame (default: now - duration*rate*step)
    inject: frozenset[str] = frozenset()
    drain: float = 30.0  # [s] to wait for the last acknowledgements
    seed: int = 2022
    tick: float = 0.02  # [s] between sending rounds
    warmup: bool = False  # send one frame per device and wait for its ack before the timed run
    connect_timeout: float = 5.0
    #: [s] from the start of the run: when the exceedance, offline and flatline injections act
    #: (None: the middle third of ``duration``; a long-running demo gives its own window)
    inject_window: tuple[float, float] | None = None


@dataclass
class DeviceState:
    device: SimDevice
    index: int
    profile: tuple[str, tuple[tuple[str, float, float, bool], ...]]
    pending: OrderedDict[str, tuple[bytes, float]] = field(default_factory=OrderedDict)
    writer: asyncio.StreamWriter | None = None
    reader_task: asyncio.Task[None] | None = None
    next_k: int = 0
    owed: float = 0.0
    sent: int = 0
    acked: int = 0
    resent: int = 0
    reconnects: int = 0
    malformed: int = 0
    connected: bool = False
    offline: bool = False


@dataclass
class InjectionReport:
    """What one injection did: to which device, which parameters, over which DataTime window
    (first and last DataTime of the frames concerned, UTC), and how many of those frames were
    sent and acknowledged (a malformed frame is never acknowledged: that is its point)."""

    name: str
    mn: str
    parameters: tuple[str, ...]
    what: str
    first: datetime | None = None
    last: datetime | None = None
    frames: int = 0
    acknowledged: int = 0
    qns: set[str] = field(default_factory=set, repr=False)

    def record(self, qn: str, when: datetime) -> None:
        self.frames += 1
        self.qns.add(qn)
        self.first = when if self.first is None else min(self.first, when)
        self.last = when if self.last is None else max(self.last, when)

    def to_dict(self) -> dict[str, Any]:
        return {
            "injection": self.name,
            "mn": self.mn,
            "parameters": list(self.parameters),
            "what": self.what,
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
            "frames": self.frames,
            "acknowledged": self.acknowledged,
        }


@dataclass
class SimResult:
    devices: int
    sent: int
    acked: int
    unacked: int
    resent: int
    reconnects: int
    malformed_sent: int
    seconds: float
    latencies: list[float] = field(default_factory=list, repr=False)
    injections: list[InjectionReport] = field(default_factory=list)

    def percentile(self, p: float) -> float | None:
        if not self.latencies:
            return None
        data = sorted(self.latencies)
        return data[min(len(data) - 1, round(p / 100 * (len(data) - 1)))]

    def to_dict(self) -> dict[str, Any]:
        p50, p99 = self.percentile(50), self.percentile(99)
        return {
            "devices": self.devices,
            "sent": self.sent,
            "acknowledged": self.acked,
            "unacknowledged": self.unacked,
            "resent": self.resent,
            "reconnects": self.reconnects,
            "malformed_sent": self.malformed_sent,
            "seconds": round(self.seconds, 3),
            "acked_per_second": round(self.acked / self.seconds, 1) if self.seconds else None,
            "ack_latency_p50_ms": None if p50 is None else round(p50 * 1000, 2),
            "ack_latency_p99_ms": None if p99 is None else round(p99 * 1000, 2),
            "injections": [i.to_dict() for i in self.injections],
        }


def _fmt(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.1f}"


def frame_bytes(segment: str, crc_variant: str = "hj212") -> bytes:
    """``##`` + byte length + segment + CRC + CR LF (HJ 212-2017 §6.3.1), standard or vendor CRC."""
    data = segment.encode("utf-8")
    crc = (
        crc16_modbus_swapped(data)
        if crc_variant in ("modbus_swapped", "modbus-swapped")
        else crc16_hj212(data)
    )
    return b"##%04d%s%04X\r\n" % (len(data), data, crc)


def upload_segment(
    *,
    st: str,
    mn: str,
    pw: str,
    data_time: datetime,
    values: Sequence[tuple[str, float, float | None]],
    flag: int = 5,
) -> str:
    """A CN 2011 real-time upload segment: ``code-Rtd`` (+ ``code-ZsRtd``) and ``code-Flag=N``."""
    local = data_time.astimezone(CHINA_TZ)
    stamp = local.strftime("%Y%m%d%H%M%S")
    qn = stamp + f"{local.microsecond // 1000:03d}"
    parts = []
    for code, value, zs in values:
        item = f"{code}-Rtd={_fmt(value)}"
        if zs is not None:
            item += f",{code}-ZsRtd={_fmt(zs)}"
        parts.append(item + f",{code}-Flag=N")
    return f"QN={qn};ST={st};CN=2011;PW={pw};MN={mn};Flag={flag};CP=&&DataTime={stamp};{';'.join(parts)}&&"


class Simulator:
    def __init__(self, devices: Sequence[SimDevice], config: SimConfig) -> None:
        if not devices:
            raise ValueError("no devices to simulate")
        self.config = config
        self.rng = random.Random(config.seed)
        self.states = [
            DeviceState(d, i, PROFILES.get(d.site_kind, PROFILES["air_station"]))
            for i, d in enumerate(devices)
        ]
        for state in self.states:  # loggers are not synchronised: spread their sending phases
            state.owed = self.rng.random()
        total = config.duration * config.rate * config.step
        now = datetime.now(UTC).replace(microsecond=0)
        self.start = (config.start or (now - timedelta(seconds=total))).astimezone(UTC).replace(microsecond=0)
        self.latencies: list[float] = []
        self._stopping = False
        kinds = {s.device.site_kind: s for s in reversed(self.states)}
        self._exceed = kinds.get("gas_outlet") or kinds.get("water_outlet") or self.states[0]
        self._flat = kinds.get("air_station") or self.states[0]
        self._offline = self.states[len(self.states) // 2]
        self._malformed = self.states[-1]
        self.injections = self._plan_injections()

    def _plan_injections(self) -> dict[tuple[str, int], InjectionReport]:
        """(injection, device index) -> its report, for every injection of the configuration."""
        inject = self.config.inject

        def codes(state: DeviceState, varied_only: bool = False) -> tuple[str, ...]:
            return tuple(code for code, _, noise, _ in state.profile[1] if noise > 0.1 or not varied_only)

        plan: dict[tuple[str, int], InjectionReport] = {}
        if "exceedance" in inject:
            state = self._exceed
            plan["exceedance", state.index] = InjectionReport(
                "exceedance", state.device.mn, codes(state, True), "values x6 in the middle third of the run"
            )
        if "offline" in inject:
            state = self._offline
            plan["offline", state.index] = InjectionReport(
                "offline",
                state.device.mn,
                codes(state),
                "silent in the middle third; frames kept and re-sent",
            )
        if "flatline" in inject:
            state = self._flat
            plan["flatline", state.index] = InjectionReport(
                "flatline", state.device.mn, codes(state), "the same values repeated in the middle third"
            )
        if "malformed" in inject:
            state = self._malformed
            plan["malformed", state.index] = InjectionReport(
                "malformed", state.device.mn, (), "about 1 % of frames with a broken CRC"
            )
        if "crc-variant" in inject:
            for state in self.states:
                if state.device.crc_variant != "hj212":
                    plan["crc-variant", state.index] = InjectionReport(
                        "crc-variant", state.device.mn, (), f"CRC {state.device.crc_variant}"
                    )
        return plan

    def injecting(self, elapsed: float) -> bool:
        """The exceedance, offline and flatline injections act ``elapsed`` [s] into the run:
        within :attr:`SimConfig.inject_window`, by default the middle third of the run."""
        window = self.config.inject_window
        if window is None:
            duration = self.config.duration
            return duration > 0 and 0.33 <= elapsed / duration < 0.66
        return window[0] <= elapsed < window[1]

    def _note(self, name: str, state: DeviceState, qn: str, when: datetime) -> None:
        report = self.injections.get((name, state.index))
        if report is not None:
            report.record(qn, when)

    # -- values ----------------------------------------------------------------------------------

    def _values(
        self, state: DeviceState, k: int, when: datetime, injecting: bool
    ) -> list[tuple[str, float, float | None]]:
        inject = self.config.inject
        _, factors = state.profile
        hour = when.astimezone(CHINA_TZ).hour + when.minute / 60
        diurnal = 1 + 0.25 * math.sin((hour - 9) / 24 * 2 * math.pi)
        out = []
        if "flatline" in inject and state is self._flat and injecting:
            k = 0
            diurnal = 1.0
        rng = (
            random.Random((state.index << 32) ^ k)
            if ("flatline" in inject and state is self._flat)
            else self.rng
        )
        for code, mean, noise, corrected in factors:
            scale = diurnal if noise > 0.1 else 1.0
            value = simulated_value(code, rng.gauss(mean * scale, mean * noise))
            exceeding = "exceedance" in inject and state is self._exceed and injecting
            if exceeding and noise > 0.1 and code not in CONDITIONS:
                value = simulated_value(code, value * 6.0)
            zs = value * (21 - 6) / (21 - 9) if corrected else None  # to 6 % reference O2 (HJ 75-2017 eq.)
            out.append((code, value, zs))
        return out

    def _frame(self, state: DeviceState, injecting: bool) -> tuple[str, bytes, bool]:
        k = state.next_k
        state.next_k += 1
        when = (
            self.start + timedelta(seconds=k * self.config.step) + timedelta(milliseconds=state.index % 1000)
        )
        st, _ = state.profile
        segment = upload_segment(
            st=st,
            mn=state.device.mn,
            pw=state.device.password,
            data_time=when,
            values=self._values(state, k, when, injecting),
        )
        qn = segment[3:20]
        variant = state.device.crc_variant if "crc-variant" in self.config.inject else "hj212"
        raw = frame_bytes(segment, variant)
        broken = "malformed" in self.config.inject and state is self._malformed and self.rng.random() < 0.01
        if broken:
            raw = raw[:-6] + (b"0000" if raw[-6:-2] != b"0000" else b"FFFF") + b"\r\n"
            self._note("malformed", state, qn, when)
        if injecting:  # the window of the exceedance, flatline and offline injections
            for name in ("exceedance", "flatline", "offline"):
                self._note(name, state, qn, when)
        if variant != "hj212":
            self._note("crc-variant", state, qn, when)
        return qn, raw, broken

    # -- connections -----------------------------------------------------------------------------

    async def _connect(self, state: DeviceState) -> bool:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.config.host, self.config.port), self.config.connect_timeout
            )
        except (OSError, TimeoutError):
            return False
        state.writer = writer
        state.connected = True
        state.reader_task = asyncio.get_running_loop().create_task(self._read(state, reader))
        if state.pending:  # re-send what was never acknowledged, oldest first
            now = time.perf_counter()
            frames = []
            for qn, (raw, _) in list(state.pending.items()):
                frames.append(raw)
                state.pending[qn] = (raw, now)
            state.resent += len(frames)
            writer.write(b"".join(frames))
        return True

    async def _read(self, state: DeviceState, reader: asyncio.StreamReader) -> None:
        buffer = FrameBuffer()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                for item in buffer.feed(data):
                    if isinstance(item, bytes):
                        self._on_reply(state, item)
        except (ConnectionError, OSError):
            pass
        finally:
            state.connected = False
            if state.writer is not None:
                state.writer.close()

    def _on_reply(self, state: DeviceState, raw: bytes) -> None:
        try:
            msg = decode(raw)
        except ProtocolError:
            return
        if msg.cn == "9014" and msg.qn is not None and msg.qn in state.pending:
            _, sent_at = state.pending.pop(msg.qn)
            state.acked += 1
            for (_, index), report in self.injections.items():
                if index == state.index and msg.qn in report.qns:
                    report.acknowledged += 1
            self.latencies.append(time.perf_counter() - sent_at)

    def _disconnect(self, state: DeviceState) -> None:
        state.connected = False
        if state.writer is not None:
            state.writer.close()
        if state.reader_task is not None:
            state.reader_task.cancel()

    # -- the run ---------------------------------------------------------------------------------

    async def run(self) -> SimResult:
        cfg = self.config
        await asyncio.gather(*(self._connect(s) for s in self.states))
        if cfg.warmup:  # log-in (argon2) of every device before the clock starts
            now = time.perf_counter()
            for state in self.states:
                qn, raw, _ = self._frame(state, False)
                state.sent += 1
                state.pending[qn] = (raw, now)
                if state.writer is not None:
                    state.writer.write(raw)
            deadline = time.perf_counter() + 300
            while any(s.pending for s in self.states) and time.perf_counter() < deadline:
                await asyncio.sleep(0.05)
            self.latencies.clear()
        started = time.perf_counter()
        last = time.perf_counter()
        last_reconnect = 0.0
        while True:
            now = time.perf_counter()
            elapsed = now - started
            if elapsed >= cfg.duration:
                break
            injecting = self.injecting(elapsed)
            dt = now - last
            last = now
            for state in self.states:
                offline = "offline" in cfg.inject and state is self._offline and injecting
                if offline and state.connected:
                    self._disconnect(state)
                state.offline = offline
                state.owed += dt * cfg.rate
                n = int(state.owed)
                if n <= 0:
                    continue
                state.owed -= n
                out = []
                for _ in range(n):
                    qn, raw, broken = self._frame(state, injecting)
                    if broken:
                        state.malformed += 1
                    else:
                        state.sent += 1
                        state.pending[qn] = (raw, now)
                    out.append(raw)
                if state.connected and not offline and state.writer is not None:
                    try:
                        state.writer.write(b"".join(out))
                    except (ConnectionError, RuntimeError):
                        state.connected = False
            if now - last_reconnect > 0.2:
                last_reconnect = now
                await self._reconnect_all()
            await asyncio.sleep(cfg.tick)
        deadline = time.perf_counter() + cfg.drain
        while time.perf_counter() < deadline and any(s.pending for s in self.states):
            await self._reconnect_all()
            await asyncio.sleep(0.1)
        seconds = time.perf_counter() - started
        for state in self.states:
            self._disconnect(state)
        await asyncio.sleep(0)
        return SimResult(
            devices=len(self.states),
            sent=sum(s.sent for s in self.states),
            acked=sum(s.acked for s in self.states),
            unacked=sum(len(s.pending) for s in self.states),
            resent=sum(s.resent for s in self.states),
            reconnects=sum(s.reconnects for s in self.states),
            malformed_sent=sum(s.malformed for s in self.states),
            seconds=seconds,
            latencies=self.latencies,
            injections=list(self.injections.values()),
        )

    async def _reconnect_all(self) -> None:
        todo = [s for s in self.states if not s.connected and not s.offline]
        if not todo:
            return
        results = await asyncio.gather(*(self._connect(s) for s in todo))
        for state, ok in zip(todo, results, strict=True):
            if ok:
                state.reconnects += 1


async def simulate(devices: Sequence[SimDevice], config: SimConfig) -> SimResult:
    return await Simulator(devices, config).run()
