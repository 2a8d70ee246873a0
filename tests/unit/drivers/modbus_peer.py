#!/usr/bin/python3
"""Independent Modbus peers for drivers_modbus_interop_test (python3-pymodbus 3.0).

  modbus_peer.py server-tcp PORT          pymodbus TCP server on 127.0.0.1:PORT
  modbus_peer.py server-rtu DEVICE        pymodbus RTU server on a serial device (socat pty)
  modbus_peer.py client PORT|DEVICE       pymodbus client (TCP, or RTU on a serial device) against
                                          Kaiwu's server; exit 0 when every value read matches and
                                          the writes went through

The register image below is built with struct, independently of Kaiwu's encoder: each
multi-byte value is laid out in the named byte order (ABCD big-endian, DCBA little-endian, BADC
bytes swapped within words, CDAB words swapped) and split into 16-bit registers.
"""
import asyncio
import logging
import struct
import sys

logging.basicConfig(level=logging.ERROR)


def wire(fmt, value, order):
    b = struct.pack(">" + fmt, value)
    if order == "DCBA":
        b = b[::-1]
    elif order == "BADC":
        b = b"".join(b[i + 1:i + 2] + b[i:i + 1] for i in range(0, len(b), 2))
    elif order == "CDAB":
        b = b"".join(b[i:i + 2] for i in reversed(range(0, len(b), 2)))
    return [int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2)]


def text(s, length, order="ABCD"):
    b = s.encode().ljust(length + (length % 2), b"\0")
    if order in ("BADC", "DCBA"):
        b = b"".join(b[i + 1:i + 2] + b[i:i + 1] for i in range(0, len(b), 2))
    return [int.from_bytes(b[i:i + 2], "big") for i in range(0, len(b), 2)]


# (address, registers): the values drivers_modbus_interop_test expects, by point.
HOLDING = [
    (0, [1500]),                                   # uint16 1500
    (1, wire("h", -7, "ABCD")),                    # int16 -7
    (2, wire("i", -100000, "ABCD")),               # int32
    (4, wire("i", -100000, "CDAB")),               # int32 words swapped
    (6, wire("I", 3000000000, "BADC")),            # uint32 bytes swapped
    (8, wire("f", 3.25, "DCBA")),                  # float32 little-endian
    (10, wire("f", -1.5, "ABCD")),                 # float32
    (12, wire("d", -2.5e10, "CDAB")),              # float64 words swapped
    (16, wire("d", 1.0e-3, "ABCD")),               # float64
    (20, wire("q", -1234567890123, "ABCD")),       # int64
    (24, wire("Q", (1 << 40) + 5, "DCBA")),        # uint64 little-endian
    (30, text("CNC-01", 8)),                       # string, 8 bytes
    (34, text("Kaiwu", 5, "BADC")),                # string, 5 bytes, bytes swapped
    (40, [0b1000]),                                # bit 3 set
]
INPUT = [(0, [77]), (5, wire("f", 21.5, "ABCD"))]
COILS = {3: True, 4: False, 5: True}
DISCRETE = {10: True}
SIZE = 100


def context():
    from pymodbus.datastore import (ModbusSequentialDataBlock, ModbusServerContext,
                                    ModbusSlaveContext)
    hr = [0] * SIZE
    for addr, regs in HOLDING:
        hr[addr:addr + len(regs)] = regs
    ir = [0] * SIZE
    for addr, regs in INPUT:
        ir[addr:addr + len(regs)] = regs
    co = [False] * SIZE
    for addr, v in COILS.items():
        co[addr] = v
    di = [False] * SIZE
    for addr, v in DISCRETE.items():
        di[addr] = v
    slave = ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, di), co=ModbusSequentialDataBlock(0, co),
        hr=ModbusSequentialDataBlock(0, hr), ir=ModbusSequentialDataBlock(0, ir), zero_mode=True)
    return ModbusServerContext(slaves={1: slave}, single=False)


async def serve_tcp(port):
    from pymodbus.server import StartAsyncTcpServer
    await StartAsyncTcpServer(context=context(), address=("127.0.0.1", port))


async def serve_rtu(device):
    from pymodbus.server import StartAsyncSerialServer
    from pymodbus.transaction import ModbusRtuFramer
    await StartAsyncSerialServer(context=context(), framer=ModbusRtuFramer, port=device,
                                 baudrate=19200, bytesize=8, parity="N", stopbits=1, timeout=0.05)


def check(label, got, want):
    if got != want:
        print(f"FAIL {label}: got {got!r}, want {want!r}", flush=True)
        return False
    print(f"ok {label}", flush=True)
    return True


def client(target):
    """Reads Kaiwu's server (the image drivers_modbus_interop_test loads) and writes to it;
    `target` is a TCP port, or a serial device for RTU."""
    from pymodbus.client import ModbusSerialClient, ModbusTcpClient
    from pymodbus.transaction import ModbusRtuFramer
    rtu = not target.isdigit()
    if rtu:
        c = ModbusSerialClient(port=target, framer=ModbusRtuFramer, baudrate=19200, timeout=1)
    else:
        c = ModbusTcpClient("127.0.0.1", port=int(target), timeout=3)
    if not c.connect():
        print("FAIL connect", flush=True)
        return 1
    good = True
    r = c.read_holding_registers(0, 14, slave=1)
    good &= check("fc3", list(r.registers), [1500] + wire("h", -7, "ABCD") + wire("i", -100000, "CDAB")
                  + wire("f", 3.25, "DCBA") + wire("d", -2.5e10, "ABCD") + [0, 0, 0, 0])
    r = c.read_input_registers(5, 2, slave=1)
    good &= check("fc4", struct.unpack(">f", struct.pack(">HH", *r.registers))[0], 21.5)
    r = c.read_coils(0, 10, slave=1)
    good &= check("fc1", list(r.bits[:10]), [False, False, False, True, False, True] + [False] * 4)
    r = c.read_discrete_inputs(8, 4, slave=1)
    good &= check("fc2", list(r.bits[:4]), [False, False, True, False])
    good &= check("fc6", c.write_register(50, 4321, slave=1).isError(), False)
    good &= check("fc16", c.write_registers(51, [1, 2, 3], slave=1).isError(), False)
    good &= check("fc5", c.write_coil(7, True, slave=1).isError(), False)
    good &= check("fc15", c.write_coils(20, [True, False, True, True], slave=1).isError(), False)
    r = c.readwrite_registers(read_address=50, read_count=4, write_address=60, write_registers=[9, 8], unit=1)  # 3.0: unit=, not slave=
    good &= check("fc23", list(r.registers), [4321, 1, 2, 3])
    r = c.read_holding_registers(1000, 2, slave=1)  # outside the map
    good &= check("exception 2", (r.isError(), getattr(r, "exception_code", None)), (True, 2))
    if not rtu:  # over RTU another unit's silence is a timeout, not an answer
        r = c.read_holding_registers(0, 1, slave=9)  # no such unit behind this server
        good &= check("exception 11", (r.isError(), getattr(r, "exception_code", None)), (True, 11))
    c.close()
    return 0 if good else 1


def main():
    mode, arg = sys.argv[1], sys.argv[2]
    if mode == "server-tcp":
        asyncio.run(serve_tcp(int(arg)))
    elif mode == "server-rtu":
        asyncio.run(serve_rtu(arg))
    elif mode == "client":
        sys.exit(client(arg))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
