import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { DeviceCreatedModal } from '../components/DeviceCreatedModal';
import type { Device } from '../api/types';

const device: Device = {
  id: 'dev_01', tenantId: 't1', enterpriseId: 'e1', profileId: null, name: '1号数控机床', category: 'processing',
  protocol: 'mqtt', isGateway: false, gatewayId: null, label: '', accessToken: 'Tok3n_abcdefGHIJ', createdAt: 1, lastSeenAt: null, online: false,
};

describe('DeviceCreatedModal', () => {
  it('shows the access token and ready-to-copy mosquitto_pub and curl examples', async () => {
    const onOpen = vi.fn();
    render(<DeviceCreatedModal device={device} onClose={() => {}} onOpen={onOpen}
      connect={{ host: 'plant.example', httpOrigin: 'http://plant.example:8080', mqttPort: 11883 }} />);
    expect(screen.getByText('设备已接入')).toBeInTheDocument();
    expect(screen.getByTestId('device-token')).toHaveTextContent('Tok3n_abcdefGHIJ');
    const mqtt = screen.getByTestId('mqtt-example').textContent!;
    expect(mqtt).toMatch(/^mosquitto_pub -h plant\.example -p 11883 \\\n {2}-u 'Tok3n_abcdefGHIJ' \\\n {2}-t v1\/devices\/me\/telemetry -q 1 \\\n/);
    expect(mqtt).toContain(`-m '{"temperature": 25.3, "humidity": 61}'`);
    const curl = screen.getByTestId('curl-example').textContent!;
    expect(curl).toContain('curl -X POST http://plant.example:8080/api/v1/Tok3n_abcdefGHIJ/telemetry');
    expect(curl).toContain("-H 'Content-Type: application/json'");
    // The JSON payloads in the examples are valid JSON.
    expect(() => JSON.parse(/-m '(.*)'/.exec(mqtt)![1])).not.toThrow();
    await userEvent.click(screen.getByTestId('open-device'));
    expect(onOpen).toHaveBeenCalledWith(device);
  });

  it('renders nothing without a device', () => {
    const { container } = render(<DeviceCreatedModal device={null} onClose={() => {}} connect={{ host: 'h', httpOrigin: 'http://h', mqttPort: 1883 }} />);
    expect(container).toBeEmptyDOMElement();
    expect(screen.queryByText('设备已接入')).toBeNull();
  });
});
