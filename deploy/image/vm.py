#!/usr/bin/env python3
"""Drives a Waystation image in QEMU for deploy/image/smoke-test (standard library only).

    vm.py amd64-kiosk     --disk D --reference R --work W [--hub-port P]
    vm.py amd64-after-cut --disk D --reference R --work W [--hub-port P]
    vm.py ab-updates      --disk D --work W --hub-port P --hub-bin B --hub-data H --device-id ID
                          --bundle F --version V --broken-version V2 [--cut-after S]
                          [--arch amd64|arm64] [--reboot-at-once]
    vm.py arm64-boot      --disk D --work W [--writable-root] [--reference R] [--hub-port P]

Both cards are booted through Debian's U-Boot for QEMU (the PC's for amd64, the virt
machine's for arm64), which runs the card's own A/B boot script. amd64-kiosk waits until systemd reports the kiosk ready (Type=notify, so "active" means
the kiosk sent READY=1), compares QEMU's screendump of the kiosk's screen with the reference
attract screen, then records restocks from the serial console and kills QEMU (a power cut)
while they are being written. It leaves the acknowledged record ids in W/acked.txt for the
caller, which checks the disk and boots again with `amd64-after-cut`.

ab-updates rolls updates out to the card from a hub running on this machine (ab_updates says
which, and what is checked).

arm64-boot boots the Pi card image on QEMU's virt machine and checks the kiosk service runs
and its root is the read-only one (the default) or, with --writable-root, the writable ext4
(the caller put overlayroot=disabled in the card's boot-options.txt).

Each scenario prints its measurements as `name: value` lines and exits non-zero on failure.
The serial console needs a test image (deploy/image/build --serial-autologin).
"""

import argparse
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

# Debian's U-Boot builds for QEMU (package u-boot-qemu).
UBOOT = {"amd64": "/usr/lib/u-boot/qemu-x86/u-boot.rom", "arm64": "/usr/lib/u-boot/qemu_arm64/u-boot.bin"}

UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


class Failed(Exception):
    pass


class Vm:
    """One QEMU process with its serial console and monitor on Unix sockets."""

    def __init__(self, arch, disk, work, name, usb=False):
        self.work = work
        self.name = name
        self.serial_path = os.path.join(work, f"{name}.serial.sock")
        self.monitor_path = os.path.join(work, f"{name}.monitor.sock")
        self.log_path = os.path.join(work, f"{name}.serial.log")
        for p in (self.serial_path, self.monitor_path):
            if os.path.exists(p):
                os.unlink(p)
        if arch == "amd64":
            # The PC machine: Debian's 32-bit U-Boot for QEMU is built for it (it found no
            # disk on q35).
            machine = ["qemu-system-x86_64", "-M", "pc", "-cpu", "max"]
            gpu = "virtio-gpu-pci,xres=800,yres=480"
        else:
            machine = ["qemu-system-aarch64", "-M", "virt", "-cpu", "cortex-a72"]
            gpu = "virtio-gpu-pci,xres=800,yres=480"
        # U-Boot as the firmware, so the card's own boot script picks the root slot.
        firmware = ["-bios", UBOOT[arch]]
        # Software emulation only: KVM is not usable on these build machines.
        self.argv = machine + [
            "-accel", "tcg", "-m", "1024", "-smp", "2",
        ] + firmware + [
            # A copy-on-write overlay (.qcow2) lets a scenario spoil a card and leave it as it was.
            "-drive", f"file={disk},format={'qcow2' if disk.endswith('.qcow2') else 'raw'},if=none,id=disk0,cache=writeback",
            "-device", "virtio-blk-pci,drive=disk0",
            "-device", gpu,
            "-display", "none",
            "-device", "virtio-rng-pci",
            # A PCI watchdog, so the image's hardware-watchdog setting has a device to drive
            # (the Pi's own is bcm2835_wdt, which QEMU does not emulate).
            "-device", "i6300esb",
            # No way out but, when the smoke test runs a hub, 10.0.2.100:80 to it (a `cmd:` per
            # connection: a `tcp:` guestfwd is one connection for QEMU's whole life).
            "-netdev", "user,id=net0,restrict=on" + (f",guestfwd=tcp:10.0.2.100:80-cmd:nc 127.0.0.1 {HUB_PORT}" if HUB_PORT else ""),
            "-device", "virtio-net-pci,netdev=net0",
            "-chardev", f"socket,id=ser0,path={self.serial_path},server=on,wait=on",
            "-serial", "chardev:ser0",
            "-monitor", f"unix:{self.monitor_path},server=on,wait=off",
            "-no-reboot",
        ]
        if arch == "amd64":
            # The kiosk's screen is the virtio GPU alone (q35 adds a VGA card otherwise).
            self.argv += ["-vga", "none"]
        if usb:
            # A USB 3 controller, as the Pi 4's VL805, for a stick plugged in later
            # (`plug_stick`).
            self.argv += ["-device", "qemu-xhci,id=xhci"]
        self.buffer = ""
        self.lock = threading.Lock()
        self.proc = None
        self.started = None

    def start(self):
        self.log = open(self.log_path, "a", encoding="utf-8", errors="replace")
        self.proc = subprocess.Popen(self.argv, stdout=open(os.path.join(self.work, f"{self.name}.qemu.log"), "ab"),
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while not os.path.exists(self.serial_path):
            if self.proc.poll() is not None or time.time() > deadline:
                raise Failed(f"QEMU did not start (see {self.name}.qemu.log)")
            time.sleep(0.1)
        self.serial = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.serial.connect(self.serial_path)
        self.started = time.time()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        while True:
            try:
                data = self.serial.recv(4096)
            except OSError:
                return
            if not data:
                return
            text = data.decode("utf-8", errors="replace").replace("\r", "")
            with self.lock:
                self.buffer += text
            self.log.write(text)
            self.log.flush()

    def mark(self):
        with self.lock:
            return len(self.buffer)

    def expect(self, pattern, timeout, since=0):
        regex = re.compile(pattern)
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                m = regex.search(self.buffer, since)
            if m:
                return m
            if self.proc.poll() is not None:
                raise Failed(f"QEMU exited while waiting for {pattern!r}")
            time.sleep(0.2)
        raise Failed(f"no {pattern!r} on the serial console within {timeout} s (see {self.log_path})")

    def send(self, line):
        self.serial.sendall(line.encode() + b"\n")

    def login(self, timeout):
        """Waits for the autologin shell and makes it quiet and easy to parse."""
        self.expect(r"root@waystation[^\n]*# ", timeout)
        self.send("stty -echo; bind 'set enable-bracketed-paste off'; "
                  "export PS1='' SYSTEMD_PAGER= SYSTEMD_COLORS=0 TERM=dumb")
        time.sleep(1)

    def run(self, command, timeout=120):
        """Runs a shell command on the serial console; returns (status, output)."""
        token = f"{time.time_ns():x}"
        since = self.mark()
        self.send(f"echo B{token}; {command}; echo E{token} $?")
        m = self.expect(rf"E{token} (\d+)\n", timeout, since)
        start = self.expect(rf"B{token}\n", 1, since)
        return int(m.group(1)), self.buffer[start.end():m.start()]

    def monitor(self, command):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(self.monitor_path)
            s.settimeout(30)
            out = b""
            while not out.rstrip().endswith(b"(qemu)"):
                out += s.recv(4096)
            s.sendall(command.encode() + b"\n")
            out = b""
            while not out.rstrip().endswith(b"(qemu)"):
                out += s.recv(4096)
            return out.decode(errors="replace")

    def screendump(self, path):
        if os.path.exists(path):
            os.unlink(path)
        self.monitor(f"screendump {path} -f png")
        deadline = time.time() + 20
        while not (os.path.exists(path) and os.path.getsize(path) > 0):
            if time.time() > deadline:
                raise Failed("QEMU's screendump wrote nothing")
            time.sleep(0.2)
        time.sleep(0.5)

    def plug_stick(self, image):
        """Puts a USB stick (a raw FAT image) into the running machine."""
        self.monitor(f"drive_add 0 if=none,id=stick,format=raw,file={image}")
        out = self.monitor("device_add usb-storage,bus=xhci.0,drive=stick,id=stick-device")
        if "Error" in out or "error" in out:
            raise Failed(f"QEMU did not plug the stick in: {out.strip()}")

    def kill(self):
        """Pulls the plug: no shutdown, no flush beyond what the guest already made."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        try:
            self.serial.close()
        except Exception:
            pass


def wait_for_kiosk(vm, timeout):
    """Polls systemd over the serial console until the kiosk is active (READY=1 received)."""
    deadline = time.time() + timeout
    state = ""
    while time.time() < deadline:
        _, out = vm.run("systemctl is-active waystation.service", timeout=60)
        state = out.strip().splitlines()[-1] if out.strip() else ""
        if state == "active":
            return time.time() - vm.started
        if state == "failed":
            break
        time.sleep(2)
    _, journal = vm.run("journalctl -b -u waystation -u waystation-provision --no-pager | tail -n 40", timeout=60)
    raise Failed(f"the kiosk never became ready (last state {state!r}):\n{journal}")


def guest_ready_seconds(vm):
    """Seconds from the kernel's start to the kiosk's READY=1, by the guest's own clock."""
    _, out = vm.run("systemctl show waystation.service -p ActiveEnterTimestampMonotonic --value")
    value = out.strip().splitlines()[-1]
    return int(value) / 1e6


# A small PNG reader: 8-bit RGB/RGBA, not interlaced (what the kiosk and QEMU write).
def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failed(f"{path} is not a PNG")
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or colour not in (2, 6) or interlace:
                raise Failed(f"{path}: unsupported PNG (depth {depth}, colour type {colour})")
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    pixels = [tuple(r[x * channels:x * channels + 3]) for r in rows for x in range(width)]
    return width, height, pixels


def dominant(pixels, n=4):
    counts = {}
    for p in pixels:
        q = (p[0] >> 4, p[1] >> 4, p[2] >> 4)
        counts[q] = counts.get(q, 0) + 1
    return [q for q, _ in sorted(counts.items(), key=lambda kv: -kv[1])[:n]]


def compare(shot, reference):
    """A tolerant comparison: same size, the same dominant colours, and most pixels close."""
    w1, h1, a = read_png(shot)
    w2, h2, b = read_png(reference)
    if (w1, h1) != (w2, h2):
        raise Failed(f"the screen is {w1}x{h1}, the reference {w2}x{h2}")
    close = sum(1 for p, q in zip(a, b) if max(abs(p[0] - q[0]), abs(p[1] - q[1]), abs(p[2] - q[2])) <= 48)
    share = close / len(a)
    da, db = dominant(a), dominant(b)
    shared = len(set(da) & set(db))
    return share, shared, da[0] == db[0]


def check_screen(vm, reference, work, prefix):
    """Takes screendumps until one matches the reference screen (the attract screen, or the out
    of service screen; the first frame may still be on its way when READY arrives), and prints
    the figures."""
    shot = os.path.join(work, f"{prefix}-screen.png")
    best = None
    for attempt in range(10):
        vm.screendump(shot)
        share, shared, same_background = compare(shot, reference)
        best = (share, shared, same_background)
        if share >= 0.90 and shared >= 3 and same_background:
            print(f"{prefix} screen: {share:.1%} of pixels within 48 of the reference, {shared}/4 dominant colours shared ({shot})")
            return
        time.sleep(3)
    raise Failed(f"{prefix}: the screen is not the reference: {best[0]:.1%} of pixels close, "
                 f"{best[1]}/4 dominant colours shared, background {'same' if best[2] else 'different'} ({shot})")


def boot(args, arch, name):
    vm = Vm(arch, args.disk, args.work, name, usb=bool(getattr(args, "stick", None)))
    vm.start()
    vm.login(timeout=args.timeout)
    login = time.time() - vm.started
    print(f"{name} login on the serial console: {login:.1f} s after QEMU started")
    host = wait_for_kiosk(vm, args.timeout)
    guest = guest_ready_seconds(vm)
    print(f"{name} boot to kiosk ready: {guest:.1f} s from kernel start (guest clock), {host:.1f} s from QEMU start (host clock, includes polling)")
    return vm


def report_system(vm, name):
    """Prints what the appliance rules promise, as the running system shows it."""
    checks = [
        ("mounts", "for m in / /media/root-ro /var/lib/waystation /var/lib/systemd/timesync /boot/firmware; do "
                   "printf '%s=%s ' $m \"$(findmnt -n -o FSTYPE,OPTIONS $m | cut -d, -f1 | tr ' ' ':')\"; done; echo"),
        ("watchdog", "journalctl -b -o cat | grep -m1 'Using hardware watchdog' || echo 'no hardware watchdog'"),
        ("gettys", "systemctl list-units --plain --no-legend 'getty@*' 'serial-getty@*' | awk '{print $1}' | tr '\\n' ' '; echo"),
        ("failed units", "systemctl list-units --state=failed --plain --no-legend | awk '{print $1}' | tr '\\n' ' '; echo"),
        ("root password", "passwd -S root | awk '{print $2}'"),
        ("ssh", "sshd -T 2>/dev/null | grep -E '^(passwordauthentication|kbdinteractiveauthentication|permitrootlogin) ' | tr '\\n' ' '; echo"),
        ("kiosk user", "id waystation"),
        ("kiosk process", "ps -o user=,args= -C waystation | head -n 1"),
        ("magic sysrq", "cat /proc/sys/kernel/sysrq"),
        ("ctrl-alt-del", "systemctl is-enabled ctrl-alt-del.target 2>&1"),
        # Every socket listening for TCP or UDP: the kiosk opens no port to the network, so
        # only loopback addresses should be here.
        ("listening", "ss -Hltnu | awk '{print $1 \" \" $5}' | sort -u | tr '\\n' ' '; echo"),
        ("journal", "echo \"$(journalctl -D /var/log/journal --list-boots --no-pager -q | wc -l) boot(s) kept, $(du -sh /var/lib/waystation/system/journal | cut -f1) on the data partition\""),
    ]
    for label, command in checks:
        _, out = vm.run(command, timeout=120)
        lines = [l.strip() for l in out.strip().splitlines() if l.strip()]
        print(f"{name} {label}: {lines[-1] if lines else '(nothing)'}")
    units_are_sound(vm, name)


def units_are_sound(vm, name, allowed=()):
    """No unit failed (but those in `allowed`, failed on purpose), and systemd skipped none for
    an ordering cycle (a skipped unit is not a failed one: a path unit ordered after a service
    was skipped at every boot unseen)."""
    _, failed = vm.run("systemctl list-units --state=failed --plain --no-legend | awk '{print $1}'")
    unexpected = [u for u in failed.split() if u not in allowed]
    if unexpected:
        raise Failed(f"{name}: failed units: {' '.join(unexpected)}")
    _, cycles = vm.run("journalctl -b -o cat --no-pager | grep -i 'ordering cycle' | head -n 5")
    if cycles.strip():
        raise Failed(f"{name}: systemd found an ordering cycle: {cycles.strip()}")


def amd64_kiosk(args):
    vm = boot(args, "amd64", "amd64-boot1")
    try:
        report_system(vm, "amd64-boot1")
        _, out = vm.run("systemctl is-active waystation-provision.service; cat /boot/firmware/waystation-device.txt 2>/dev/null | head -n 5; "
                        "test -e /boot/firmware/waystation-provision.toml && echo 'provision file still on the card' || echo 'provision file removed'")
        print("amd64-boot1 provisioning: " + " | ".join(l.strip() for l in out.strip().splitlines()))
        check_screen(vm, args.reference, args.work, "amd64")
        # Restocks from the serial console, as the kiosk's user, until the power goes: each is an
        # outbox record, and its id is printed only after its transaction committed
        # (synchronous=FULL): acknowledged. (A visit writes no record of its own since day
        # summaries, so a staff action is the record a shell can make.)
        since = vm.mark()
        vm.send("for i in $(seq 1 500); do runuser -u waystation -- waystation restock paper || break; done")
        deadline = time.time() + 600
        while True:
            with vm.lock:
                seen = len(UUID.findall(vm.buffer[since:]))
            if seen >= 5:
                break
            if time.time() > deadline:
                raise Failed(f"only {seen} restock(s) acknowledged in 600 s")
            time.sleep(0.1)
        # Cut the power while the loop is mid-way through the next restock.
        time.sleep(0.7)
        vm.kill()
        with vm.lock:
            acked = UUID.findall(vm.buffer[since:])
        print(f"power cut after {len(acked)} acknowledged restocks")
        with open(os.path.join(args.work, "acked.txt"), "w") as f:
            f.write("\n".join(acked) + "\n")
    finally:
        vm.kill()


def frozen_ui_is_restarted(vm):
    """Freezes the kiosk (SIGSTOP stops its UI loop with everything else) and waits for
    systemd's watchdog to kill and restart it: the watchdog pings must come from a live loop."""
    def show(prop):
        _, out = vm.run(f"systemctl show waystation.service -p {prop} --value")
        return out.strip().splitlines()[-1]
    pid, restarts = show("MainPID"), int(show("NRestarts"))
    if show("WatchdogTimestampMonotonic") in ("", "0"):
        raise Failed("systemd has had no watchdog ping from the kiosk")
    vm.run(f"kill -STOP {pid}")
    frozen = time.time()
    deadline = frozen + 300
    while time.time() < deadline:
        time.sleep(5)
        if int(show("NRestarts")) > restarts and show("ActiveState") == "active" and show("MainPID") != pid:
            _, log = vm.run("journalctl -b -u waystation.service -o cat | grep -m1 'Watchdog timeout'")
            print(f"frozen UI: restarted by the watchdog and ready again {time.time() - frozen:.0f} s after the freeze ({log.strip()})")
            return
    raise Failed("the frozen kiosk was not restarted within 300 s")


def hardening_and_journal(vm):
    """The second boot: the first boot's journal survived the power cut; no magic SysRq, no
    Ctrl+Alt+Del."""
    # Each boot has a new machine id (the root is a RAM overlay), so the journal of each boot is
    # in a folder of its own: read the whole folder.
    _, out = vm.run("journalctl -D /var/log/journal --list-boots --no-pager -q | wc -l")
    boots = int(out.strip().splitlines()[-1]) if out.strip() else 0
    if boots < 2:
        raise Failed(f"the journal keeps {boots} boot(s) after a reboot; the first boot's is lost")
    _, out = vm.run("cat /proc/sys/kernel/sysrq; systemctl is-enabled ctrl-alt-del.target 2>&1")
    lines = [l.strip() for l in out.strip().splitlines()]
    if lines[-2:] != ["0", "masked"]:
        raise Failed(f"magic SysRq or Ctrl+Alt+Del still on: {lines[-2:]}")
    print(f"after the power cut: the journal kept {boots} boots; magic SysRq 0, ctrl-alt-del.target masked")


CHECK_INS = 30
IDLE_SECONDS = 360


def card_writes(vm):
    """Bytes written to the card (QEMU's block statistics for the guest's disk): the kiosk
    running idle on its attract screen for IDLE_SECONDS, then CHECK_INS mood check-ins (each
    a process that opens the database and commits its day count, as a visit's does). Each
    reading follows a `sync`, so what the guest still held in memory is counted."""
    def written():
        vm.run("sync", timeout=120)
        out = vm.monitor("info blockstats")
        m = re.search(r"disk0:[^\n]*?wr_bytes=(\d+)", out)
        if not m:
            raise Failed(f"no write count for disk0 in the monitor's blockstats: {out!r}")
        return int(m.group(1)), time.time()
    b0, t0 = written()
    time.sleep(IDLE_SECONDS)
    b1, t1 = written()
    idle_per_hour = (b1 - b0) / (t1 - t0) * 3600
    for _ in range(CHECK_INS):
        status, out = vm.run("runuser -u waystation -- waystation mood add --quadrant blue "
                             "--pleasantness -1 --energy -1 --word tired --tags sleep", timeout=120)
        if status != 0:
            raise Failed(f"a check-in failed: {out.strip()}")
    b2, t2 = written()
    # The idle rate runs on while the check-ins are made; what is left is theirs.
    per_check_in = max(0.0, (b2 - b1) - idle_per_hour * (t2 - t1) / 3600) / CHECK_INS
    print(f"card writes: idle {idle_per_hour / 1e6:.2f} MB/hour over {t1 - t0:.0f} s; "
          f"{per_check_in / 1e3:.1f} kB per check-in ({CHECK_INS} in {t2 - t1:.0f} s, "
          f"{(b2 - b1) / 1e3:.0f} kB in all)")


# A/B updates (through U-Boot, as the Pi boots), from the hub: the smoke test runs a
# hub on this machine (QEMU forwards the guest's 10.0.2.100:80 to it) that holds the bundles;
# this scenario rolls them out to the kiosk with the hub's own commands.

UPDATES = "/var/lib/waystation/updates"
HUB_PORT = None


def ab_boot(args, name, max_boots=1):
    """Powers the card on until the kiosk is ready. A guest reboot ends QEMU (-no-reboot), and
    the next power-on is started here, up to max_boots. Returns (vm, slots booted)."""
    slots = []
    if args.arch != "amd64":
        name = f"{args.arch}-{name}"
    for n in range(1, max_boots + 1):
        vm = Vm(args.arch, args.disk, args.work, f"{name}-{n}")
        vm.start()
        try:
            m = vm.expect(r"waystation: booting slot ([AB])", 120)
            slots.append(m.group(1))
            vm.login(args.timeout)
            wait_for_kiosk(vm, args.timeout)
            print(f"{name}: power-on {n} booted slot {slots[-1]}; kiosk ready {time.time() - vm.started:.0f} s after power-on")
            return vm, slots
        except Failed as failure:
            # A slot that fails reboots itself (the kiosk's start limit, or the health check's
            # deadline): wait for that, then power on again.
            deadline = time.time() + args.timeout
            while vm.proc.poll() is None and time.time() < deadline:
                time.sleep(1)
            if vm.proc.poll() is None:
                vm.kill()
                raise failure
            print(f"{name}: power-on {n} booted slot {slots[-1] if slots else '?'}; it rebooted "
                  f"{time.time() - vm.started:.0f} s after power-on without a ready kiosk")
            vm.kill()
    raise Failed(f"{name}: no ready kiosk in {max_boots} power-ons (slots {slots})")


def update_status(vm):
    _, out = vm.run("cat /var/lib/waystation/update-status.json")
    text = out.strip().splitlines()[-1] if out.strip() else ""
    try:
        return json.loads(text)
    except ValueError:
        raise Failed(f"update-status.json is not JSON: {text!r}")


def wait_status(vm, outcome, timeout):
    deadline = time.time() + timeout
    status = None
    while time.time() < deadline:
        status = update_status(vm)
        if (status.get("last") or {}).get("outcome") == outcome:
            return status
        time.sleep(5)
    raise Failed(f"the update status never became {outcome!r} in {timeout} s: {status}")


def wait_marked_good(vm, slot, timeout):
    """RAUC's mark-good gives the slot its 3 boots back in U-Boot's state."""
    deadline = time.time() + timeout
    env = ""
    while time.time() < deadline:
        _, env = vm.run("fw_printenv")
        if f"BOOT_{slot}_LEFT=3" in env:
            return env.strip().replace("\n", " ")
        time.sleep(5)
    raise Failed(f"slot {slot} was not marked good: {env.strip()}")


def image_version(vm):
    _, out = vm.run("sed -n 's/^IMAGE_VERSION=//p' /etc/waystation-image-release")
    return out.strip().splitlines()[-1] if out.strip() else ""


def hub(args, *command):
    result = subprocess.run([args.hub_bin] + list(command) + ["--data", args.hub_data],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise Failed(f"waystation-hub {' '.join(command)}: {result.stderr.strip()}")
    return result.stdout


def hub_reports(args, outcome, version, timeout):
    """Waits for the kiosk's heartbeat at the hub to report the update's outcome."""
    import sqlite3
    deadline = time.time() + timeout
    update = None
    while time.time() < deadline:
        db = sqlite3.connect(os.path.join(args.hub_data, "hub.db"))
        row = db.execute("SELECT payload FROM heartbeat_latest WHERE device_id = ?", (args.device_id,)).fetchone()
        db.close()
        update = json.loads(row[0]).get("update") if row else None
        last = (update or {}).get("last") or {}
        if last.get("outcome") == outcome and last.get("version") == version:
            return update
        time.sleep(10)
    raise Failed(f"the hub never heard {outcome} {version} from the kiosk: its latest update report is {update}")


def restock_ids(vm, count):
    ids = []
    for _ in range(count):
        status, out = vm.run("runuser -u waystation -- waystation restock paper", timeout=120)
        found = UUID.findall(out)
        if status != 0 or not found:
            raise Failed(f"a restock failed: {out.strip()}")
        ids.append(found[-1])
    return ids


def data_intact(vm, ids, when):
    status, out = vm.run("runuser -u waystation -- waystation queue list --limit 1000000 --json", timeout=300)
    if status != 0:
        raise Failed(f"{when}: queue list failed: {out.strip()}")
    entries, _ = json.JSONDecoder().raw_decode(out[out.index("["):])
    missing = [i for i in ids if i not in {e["id"] for e in entries}]
    if missing:
        raise Failed(f"{when}: {len(missing)} record(s) written before the updates are gone: {missing}")
    print(f"{when}: the data partition is intact ({len(ids)} records written before the first update all there)")


def ask_for_reboot(vm, version):
    """Writes the reboot request the kiosk writes after its idle spell, as the kiosk's user."""
    vm.run(f"runuser -u waystation -- sh -c 'echo {version} > {UPDATES}/.r && mv {UPDATES}/.r {UPDATES}/reboot-request'")


def wait_power_off(vm, timeout, what):
    try:
        vm.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Failed(f"no reboot within {timeout} s {what}")


def ab_updates(args):
    """Three updates on one card, each rolled out from the hub: a good one (the kiosk
    downloads and installs it while idle, asks for the reboot while idle, the new slot boots,
    is marked good, and the hub hears so), a broken one cut off by a power cut in the middle of
    its install (the old slot boots; the install is reported failed), and the same broken one
    tried again (its kiosk never gets ready: the card comes back to the good slot by itself and
    the hub hears of the rollback). The data partition survives all three."""
    hub(args, "update", "rollout", args.version, "--kiosk", args.device_id)
    vm, _ = ab_boot(args, "ab-boot1")
    try:
        old = image_version(vm)
        print(f"ab-boot1: slot A runs image {old}; {wait_marked_good(vm, 'A', 300)}")
        ids = restock_ids(vm, 3)
        # The kiosk asks the hub at its start; nobody touches the screen from here on.
        start = time.time()
        wait_status(vm, "installing", 1800)
        downloaded = time.time() - start
        status = wait_status(vm, "awaiting_reboot", 1800)
        print(f"update {args.version}: downloaded from the hub and asked for while idle "
              f"{downloaded:.0f} s after the slot was marked good and 3 restocks made "
              f"({os.path.getsize(args.bundle) / 2**20:.0f} MiB); installed {time.time() - start:.0f} s "
              f"after that: {status['last']['detail']}")
        installed = time.time()
        if args.reboot_at_once:
            ask_for_reboot(vm, args.version)
            wait_power_off(vm, 300, "after the reboot request")
            print(f"update {args.version}: rebooted at the test's request {time.time() - installed:.0f} s after the install")
        else:
            wait_power_off(vm, 1200, "after the install: the kiosk asks for it after 10 idle minutes")
            print(f"update {args.version}: the kiosk asked for the reboot {time.time() - installed:.0f} s after the install")
    finally:
        vm.kill()

    # 1. The good update: slot B boots, is marked good, and says so.
    vm, slots = ab_boot(args, "ab-boot2")
    try:
        if slots != ["B"] or image_version(vm) != args.version:
            raise Failed(f"after the update: slots {slots}, image {image_version(vm)!r}, not B and {args.version}")
        wait_marked_good(vm, "B", 300)
        status = wait_status(vm, "installed", 300)
        print(f"update {args.version}: slot B booted, marked good and reported: {status['last']}")
        report = hub_reports(args, "installed", args.version, 300)
        print(f"update {args.version}: the hub's copy of the kiosk's heartbeat says {report['last']}")
        data_intact(vm, ids, "after the good update")
        # 2. The broken update, rolled out; the power is cut in the middle of its install. The
        # kiosk asks the hub for its version hourly and at its start: restarted, it asks now.
        hub(args, "update", "rollout", args.broken_version, "--kiosk", args.device_id)
        vm.run("systemctl restart waystation.service")
        wait_status(vm, "installing", 1800)
        time.sleep(args.cut_after)
        vm.kill()
        print(f"power cut {args.cut_after} s into the install of {args.broken_version} into slot A")
    finally:
        vm.kill()
    vm, slots = ab_boot(args, "ab-boot3")
    try:
        status = update_status(vm)
        if slots != ["B"] or status["last"]["outcome"] != "failed" or image_version(vm) != args.version:
            raise Failed(f"after the cut install: slots {slots}, status {status}")
        print(f"after the cut install: slot B booted again, still {args.version}; reported: {status['last']}")
        data_intact(vm, ids, "after the cut install")
        # 3. The kiosk tries the failed install once more (a new run of it), and the broken
        # slot is booted. The kiosk's own reboot request was shown above; here the test writes
        # it as soon as the install is done rather than wait its 10 idle minutes again.
        wait_status(vm, "awaiting_reboot", 1800)
        ask_for_reboot(vm, args.broken_version)
        wait_power_off(vm, 300, "after the reboot request")
    finally:
        vm.kill()
    started = time.time()
    vm, slots = ab_boot(args, "ab-boot4", max_boots=6)
    try:
        status = update_status(vm)
        if slots[-1] != "B" or status["last"]["outcome"] != "rolled_back" or image_version(vm) != args.version:
            raise Failed(f"after the broken update: slots {slots}, image {image_version(vm)!r}, status {status}")
        print(f"broken update {args.broken_version}: power-ons booted slots {' '.join(slots)}; back on slot B with "
              f"{args.version} by itself, kiosk ready {time.time() - started:.0f} s after the reboot into the update; "
              f"reported: {status['last']}")
        report = hub_reports(args, "rolled_back", args.broken_version, 300)
        print(f"broken update: the hub's copy of the kiosk's heartbeat says {report['last']}")
        data_intact(vm, ids, "after the rollback")
    finally:
        vm.kill()


def amd64_after_cut(args):
    with open(os.path.join(args.work, "acked.txt")) as f:
        acked = [l.strip() for l in f if l.strip()]
    vm = boot(args, "amd64", "amd64-boot2")
    try:
        status, out = vm.run("runuser -u waystation -- waystation queue list --limit 1000000 --json", timeout=300)
        if status != 0:
            raise Failed(f"queue list failed after the power cut: {out.strip()}")
        entries, _ = json.JSONDecoder().raw_decode(out[out.index("["):])
        ids = {e["id"] for e in entries}
        missing = [i for i in acked if i not in ids]
        if missing:
            raise Failed(f"{len(missing)} acknowledged restock(s) lost in the power cut: {missing}")
        print(f"after the power cut: all {len(acked)} acknowledged restocks are in the outbox ({len(ids)} records in all)")
        status, out = vm.run("runuser -u waystation -- waystation status --json", timeout=300)
        if status != 0:
            raise Failed(f"status failed after the power cut: {out.strip()}")
        _, release = vm.run("sed -n 's/^IMAGE_VERSION=//p' /etc/waystation-image-release")
        image = release.strip().splitlines()[-1] if release.strip() else ""
        if not image or f"image {image}" not in out:
            raise Failed(f"waystation status does not name the image's version {image!r}")
        print(f"after the power cut: waystation status names the image, version {image}")
        # The provision file was applied at the first boot and removed: this boot must not have
        # read the FAT partition for settings (the unit's condition found no file).
        _, out = vm.run("systemctl show -p ConditionResult --value waystation-provision.service; "
                        "test -e /boot/firmware/waystation-provision.toml && echo present || echo absent")
        said = out.split()
        if said[-2:] != ["no", "absent"]:
            raise Failed(f"the second boot provisioned again or the provision file is back: {out.strip()}")
        print("after the power cut: no provision file on the card, provisioning skipped at this boot")
        hardening_and_journal(vm)
        card_writes(vm)
        if args.stick:
            exported = usb_stick_export(vm, args.stick)
        check_screen(vm, args.reference, args.work, "amd64-after-cut")
        frozen_ui_is_restarted(vm)
    finally:
        vm.kill()
    if args.stick:
        stick_holds(args.stick, exported)


def usb_stick_export(vm, stick):
    """A stick put in gets no driver until staff ask for an export (`waystation queue
    export-usb`, as the staff screen's button runs it); then root loads the drivers, mounts it,
    the kiosk writes the records, root unmounts it and unloads the drivers again."""
    vm.plug_stick(stick)
    interfaces = "grep -l '^08$' /sys/bus/usb/devices/*/bInterfaceClass 2>/dev/null | wc -l"
    driven = "echo $(lsmod | grep -c -E '^(usb_storage|uas) ') $(ls /sys/class/block | grep -c '^sd')"
    deadline = time.time() + 60
    while True:
        _, out = vm.run(interfaces)
        if out.strip().splitlines()[-1] != "0":
            break
        if time.time() > deadline:
            raise Failed("the USB stick never showed up on the guest's USB bus")
        time.sleep(2)
    time.sleep(5)
    _, out = vm.run(driven)
    if out.strip().splitlines()[-1] != "0 0":
        raise Failed(f"a stick put in without an export got a driver or a block device (modules, sd disks: {out.strip()})")
    print("usb stick: put in, on the USB bus, no storage driver loaded and no block device")
    # Run inside the kiosk's own mount namespace (its unit's read-only system, private /tmp…),
    # as the staff screen's button runs it: root's mount must reach the kiosk there, writable.
    status, out = vm.run("nsenter -t \"$(systemctl show -p MainPID --value waystation.service)\" -m -- "
                         "runuser -u waystation -- waystation queue export-usb --json", timeout=400)
    if status != 0:
        raise Failed(f"queue export-usb failed: {out.strip()}")
    summary, _ = json.JSONDecoder().raw_decode(out[out.index("{"):])
    if summary["records"] < 1:
        raise Failed(f"the export to the stick wrote no records: {summary}")
    _, after = vm.run(driven + "; findmnt -n /media/waystation-usb | wc -l")
    lines = after.strip().splitlines()
    if lines[-2:] != ["0 0", "0"]:
        raise Failed(f"after the export the stick is still driven or mounted (modules, sd disks / mounts: {lines[-2:]})")
    _, journal = vm.run("journalctl -b -u waystation-usb-stick -o cat --no-pager | grep -c 'waystation-usb-stick: request'")
    print(f"usb stick: {summary['records']} records in {len(summary['files'])} files, then unmounted and the "
          f"drivers unloaded ({journal.strip().splitlines()[-1]} status lines from root's side)")
    return summary


def stick_holds(stick, summary):
    """Reads the stick back on this machine: the export's files, each a batch the hub imports."""
    out = subprocess.run(["mdir", "-b", "-i", stick, "::/waystation-export"], capture_output=True, text=True)
    names = sorted(os.path.basename(l.strip()) for l in out.stdout.splitlines() if l.strip().endswith(".json"))
    wanted = sorted(os.path.basename(f) for f in summary["files"])
    if names != wanted:
        raise Failed(f"the stick holds {names}, the export said {wanted}")
    first = subprocess.run(["mtype", "-i", stick, f"::/waystation-export/{names[0]}"], capture_output=True, text=True).stdout
    if json.loads(first).get("format") is None:
        raise Failed(f"{names[0]} on the stick is not an export file")
    print(f"usb stick read back on this machine: {len(names)} export files, as the kiosk said")


def crash_loop(args):
    """A kiosk that keeps failing: its config spoiled on the data partition, it crashes at every
    start; systemd's start limit makes a crash loop, which reboots the machine once; the second
    crash loop brings the out of service screen (with the emergency lines) instead of another
    reboot. Then the config is mended and the kiosk started again. Runs on an overlay of the
    card (--disk *.qcow2), which it spoils."""
    vm = boot(args, args.arch, f"{args.arch}-crash-1")
    try:
        # Root's crash-loop history is cleared first: a card whose kiosk looped in the last 6
        # hours (the broken update's slot, say) goes out of service at its first loop, and this
        # scenario is to see the whole sequence. The provision file left the FAT partition at the
        # first boot: were it there, the reboot would install its config again and mend the
        # spoiled one.
        _, out = vm.run("test -e /boot/firmware/waystation-provision.toml && echo present || echo absent")
        if out.split()[-1:] != ["absent"]:
            raise Failed(f"the provision file is still on the FAT partition: {out.strip()}")
        # A kiosk that ran well before it began to fail: its slot marked good, so the reboots
        # below start from 3 boots left. (The test's earlier boots were cut off before the
        # health check's 30 s: on the arm64 card the slot had none left by now, and U-Boot's
        # reset that gives both slots 3 again ended QEMU, which does not reboot.)
        slot = vm.expect(r"waystation: booting slot ([AB])", 5).group(1)
        wait_marked_good(vm, slot, args.timeout)
        print(f"crash loop: slot {slot} marked good before the kiosk's config was spoiled")
        status, out = vm.run("rm -f /var/lib/waystation/system/health/state.json; "
                             "f=$(readlink -f /etc/waystation/config.toml); cp \"$f\" /var/lib/waystation/smoke-config.good; "
                             "echo 'this line is not TOML [' >>\"$f\"; echo \"$f\"; systemctl kill waystation.service")
        spoiled = out.strip().splitlines()[-1] if out.strip() else ""
        if status != 0 or not spoiled.startswith("/var/lib/waystation/"):
            raise Failed(f"could not spoil the kiosk's config on the data partition: {out.strip()}")
        started = time.time()
        # Five failed starts, the crash loop, and the reboot it asks for (QEMU ends: -no-reboot).
        deadline = started + args.timeout
        while vm.proc.poll() is None and time.time() < deadline:
            time.sleep(1)
        if vm.proc.poll() is None:
            raise Failed("the kiosk crashed at every start but the machine did not reboot")
        print(f"crash loop: the spoiled kiosk's first crash loop rebooted the machine {time.time() - started:.0f} s after its config was spoiled")
    finally:
        vm.kill()
    vm = Vm(args.arch, args.disk, args.work, f"{args.arch}-crash-2")
    vm.start()
    try:
        vm.login(args.timeout)
        deadline = time.time() + args.timeout
        while True:
            _, out = vm.run("systemctl is-active waystation-out-of-service.service")
            if out.strip().splitlines()[-1:] == ["active"]:
                break
            if time.time() > deadline or vm.proc.poll() is not None:
                raise Failed("the second crash loop did not bring the out of service screen (or the machine rebooted again)")
            time.sleep(5)
        print(f"crash loop: the second crash loop showed the out of service screen {time.time() - vm.started:.0f} s after power-on, with no second reboot")
        _, health = vm.run("cat /var/lib/waystation/health-status.json")
        print(f"crash loop: health-status.json: {health.strip().splitlines()[-1] if health.strip() else '(none)'}")
        check_screen(vm, args.out_of_service, args.work, f"{args.arch}-out-of-service")
        units_are_sound(vm, f"{args.arch}-crash-2", allowed={"waystation.service"})
        status, out = vm.run("cp /var/lib/waystation/smoke-config.good \"$(readlink -f /etc/waystation/config.toml)\"")
        if status != 0:
            raise Failed(f"could not mend the kiosk's config: {out.strip()}")
        # The mended card: the staff's confirmed touch (or the hour) would try the kiosk again;
        # here root starts it, which stops the out of service screen (they conflict).
        vm.run("systemctl reset-failed waystation.service; systemctl start --no-block waystation.service")
        wait_for_kiosk(vm, args.timeout)
        print("crash loop: config mended, the kiosk ready again")
    finally:
        vm.kill()


def arm64_boot(args):
    name = "arm64-" + ("writable-root" if args.writable_root else "read-only-root")
    vm = boot(args, "arm64", name)
    try:
        _, out = vm.run("findmnt -n -o FSTYPE,OPTIONS / | cut -c1-60; findmnt -n -o FSTYPE /var/lib/waystation; "
                        "systemctl is-active waystation.service waystation-system.service systemd-timesyncd.service")
        lines = [l.strip() for l in out.strip().splitlines()]
        print(f"{name} root and services: " + " | ".join(lines))
        report_system(vm, name)
        root_type, root_options = (lines[0].split() + ["", ""])[:2] if lines else ("", "")
        want = "ext4" if args.writable_root else "overlay"
        if root_type != want or not root_options.startswith("rw"):
            raise Failed(f"{name}: the root is {root_type!r} mounted {root_options[:20]!r}, expected {want} read-write")
        if args.reference:
            check_screen(vm, args.reference, args.work, name)
    finally:
        vm.kill()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=["amd64-kiosk", "amd64-after-cut", "crash-loop", "ab-updates", "arm64-boot"])
    p.add_argument("--disk", required=True)
    p.add_argument("--arch", choices=["amd64", "arm64"], default="amd64", help="ab-updates, crash-loop: the card's architecture")
    p.add_argument("--reboot-at-once", action="store_true",
                   help="ab-updates: ask for the first update's reboot as soon as it is installed, "
                        "instead of waiting for the kiosk's own request after 10 idle minutes")
    p.add_argument("--hub-port", type=int, help="the port of the hub on this machine, reached from the guest as 10.0.2.100:80")
    p.add_argument("--hub-bin", help="ab-updates: the waystation-hub program")
    p.add_argument("--hub-data", help="ab-updates: the hub's data folder")
    p.add_argument("--device-id", help="ab-updates: the kiosk's device id at the hub")
    p.add_argument("--bundle", help="ab-updates: the good update's bundle")
    p.add_argument("--version", help="ab-updates: its image version")
    p.add_argument("--broken-version")
    p.add_argument("--cut-after", type=int, default=20, help="ab-updates: seconds into the install to cut the power")
    p.add_argument("--work", required=True)
    p.add_argument("--reference")
    p.add_argument("--out-of-service", help="crash-loop: the out of service screen rendered on this machine")
    p.add_argument("--writable-root", action="store_true")
    p.add_argument("--stick", help="amd64-after-cut: a FAT image to plug in as a USB stick and export to")
    p.add_argument("--timeout", type=int, default=900)
    args = p.parse_args()
    global HUB_PORT
    HUB_PORT = args.hub_port
    try:
        {"amd64-kiosk": amd64_kiosk, "amd64-after-cut": amd64_after_cut, "crash-loop": crash_loop, "ab-updates": ab_updates,
         "arm64-boot": arm64_boot}[args.scenario](args)
    except Failed as e:
        print(f"FAILED: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
