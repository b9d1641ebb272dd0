// Example (not part of the package: copy it into your app): a keybridge `ReaderTransport` over
// Bluetooth LE to a Dspread reader, for `KeyLoader.withTransport(transport:options:)`.
// Service 0xFF00; the app writes 0xFF01 and the reader notifies on 0xFF02 (NOTES from public
// Dspread material: which is which, the MTU and write-with/without-response are to be confirmed on
// hardware). The app owns the CBCentralManager and connects the peripheral; hand it over here and
// do not use it for anything else while keybridge loads keys.

import CoreBluetooth
import Foundation
import KeyBridge

final class BleReaderTransport: NSObject, ReaderTransport, CBPeripheralDelegate, @unchecked Sendable {
    static let service = CBUUID(string: "FF00")
    static let writeCharacteristic = CBUUID(string: "FF01")
    static let notifyCharacteristic = CBUUID(string: "FF02")

    private let peripheral: CBPeripheral
    private let condition = NSCondition()
    private var inbox = Data()
    private var writer: CBCharacteristic?
    private var closed = false

    /// `peripheral` is connected already; this discovers the reader's service and subscribes.
    init(connected peripheral: CBPeripheral) {
        self.peripheral = peripheral
        super.init()
        peripheral.delegate = self
        peripheral.discoverServices([Self.service])
    }

    func read(maxLen: Int32, timeoutMs: Int32) throws -> Data {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        while inbox.isEmpty && !closed && condition.wait(until: deadline) {}
        if inbox.isEmpty {
            if closed { throw ReaderTransportError.Closed }
            return Data() // nothing within the timeout
        }
        let taken = inbox.prefix(Int(maxLen))
        inbox.removeFirst(taken.count)
        return Data(taken)
    }

    func write(data: Data) throws {
        let characteristic = try writable()
        let chunk = max(1, peripheral.maximumWriteValueLength(for: .withoutResponse))
        var offset = 0
        while offset < data.count {
            let end = min(offset + chunk, data.count)
            peripheral.writeValue(data.subdata(in: offset..<end), for: characteristic, type: .withoutResponse)
            offset = end
        }
    }

    func disconnect() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The write characteristic once discovered (waits up to 5 s after connecting).
    private func writable() throws -> CBCharacteristic {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: 5)
        while writer == nil && !closed && condition.wait(until: deadline) {}
        guard let writer = writer, !closed else {
            throw ReaderTransportError.Io(reason: "BLE: no characteristic \(Self.writeCharacteristic) on service \(Self.service)")
        }
        return writer
    }

    func peripheral(_ peripheral: CBPeripheral, didDiscoverServices error: Swift.Error?) {
        guard let service = peripheral.services?.first(where: { $0.uuid == Self.service }) else { return }
        peripheral.discoverCharacteristics([Self.writeCharacteristic, Self.notifyCharacteristic], for: service)
    }

    func peripheral(_ peripheral: CBPeripheral, didDiscoverCharacteristicsFor service: CBService, error: Swift.Error?) {
        for characteristic in service.characteristics ?? [] {
            if characteristic.uuid == Self.notifyCharacteristic {
                peripheral.setNotifyValue(true, for: characteristic)
            } else if characteristic.uuid == Self.writeCharacteristic {
                condition.lock()
                writer = characteristic
                condition.broadcast()
                condition.unlock()
            }
        }
    }

    func peripheral(_ peripheral: CBPeripheral, didUpdateValueFor characteristic: CBCharacteristic, error: Swift.Error?) {
        guard characteristic.uuid == Self.notifyCharacteristic, let value = characteristic.value else { return }
        condition.lock()
        inbox.append(value)
        condition.broadcast()
        condition.unlock()
    }
}
