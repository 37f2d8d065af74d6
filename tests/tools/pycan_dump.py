#!/usr/bin/env python3
"""Prints every frame python-can's candump reader finds, one line each.

Used by tests/unit/test_candump_pycan.c to check our reader frame by frame
against an independent implementation (can.CanutilsLogReader).

Line format (the C test prints the same from rs_can_frame):
    <ts_us> <S|X> <id hex> <dlc> <data hex or -> <channel> <D|R>
    <ts_us> E                       (error frame: python-can keeps no id)

Exit 2 when the can module is missing, 1 on a read error.
"""
import sys

try:
    import can
except ImportError:
    sys.stderr.write("python-can (module 'can') is not installed\n")
    sys.exit(2)


def main(paths):
    for path in paths:
        with can.CanutilsLogReader(path) as reader:
            for msg in reader:
                # python-can keeps the stamp as a float; the nearest
                # microsecond is exact for 6-decimal stamps.
                ts_us = int(round(msg.timestamp * 1e6))
                if msg.is_error_frame:
                    print(f"{ts_us} E")
                    continue
                kind = "X" if msg.is_extended_id else "S"
                width = 8 if msg.is_extended_id else 3
                data = msg.data.hex().upper() if (msg.data and not msg.is_remote_frame) else "-"
                print(f"{ts_us} {kind} {msg.arbitration_id:0{width}X} {msg.dlc} {data} "
                      f"{msg.channel} {'R' if msg.is_remote_frame else 'D'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
