#!/usr/bin/python3
"""A pymodbus (python3-pymodbus 3.0) TCP server for test_edge.py, on 127.0.0.1:PORT.

Holding registers: hr:0 counts the requests that read it (1, 2, 3, … — so the platform must
receive every integer exactly once), hr:1 = 1234 (int16), hr:2-3 = 12.5 (float32 ABCD),
hr:4 = a setpoint the edge may write (RPC).
"""
import asyncio
import logging
import struct
import sys

logging.basicConfig(level=logging.ERROR)


def main(port):
    from pymodbus.datastore import ModbusSequentialDataBlock, ModbusServerContext, ModbusSlaveContext
    from pymodbus.server import StartAsyncTcpServer

    class Counting(ModbusSequentialDataBlock):
        def getValues(self, address, count=1):
            if address <= 0 < address + count:
                self.values[0] = (self.values[0] + 1) & 0xFFFF
            return super().getValues(address, count)

    hr = [0] * 20
    hr[1] = 1234
    hr[2], hr[3] = struct.unpack(">HH", struct.pack(">f", 12.5))
    slave = ModbusSlaveContext(hr=Counting(0, hr), ir=ModbusSequentialDataBlock(0, [0] * 20),
                               co=ModbusSequentialDataBlock(0, [False] * 20),
                               di=ModbusSequentialDataBlock(0, [False] * 20), zero_mode=True)
    asyncio.run(StartAsyncTcpServer(context=ModbusServerContext(slaves=slave, single=True),
                                    address=("127.0.0.1", port)))


if __name__ == "__main__":
    main(int(sys.argv[1]))
