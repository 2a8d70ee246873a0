// Shown once after a device is created: its access token and ready-to-copy examples.
import { Alert, Button, Modal, Space, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import type { Device } from '../api/types';
import { CopyBlock } from './CopyBlock';

export interface ConnectInfo {
  host: string;      // as the browser reached the console
  httpOrigin: string;
  mqttPort: number;
}

export function mqttExample(d: Pick<Device, 'accessToken'>, c: ConnectInfo): string {
  return `mosquitto_pub -h ${c.host} -p ${c.mqttPort} \\\n  -u '${d.accessToken}' \\\n  -t v1/devices/me/telemetry -q 1 \\\n  -m '{"temperature": 25.3, "humidity": 61}'`;
}

export function curlExample(d: Pick<Device, 'accessToken'>, c: ConnectInfo): string {
  return `curl -X POST ${c.httpOrigin}/api/v1/${d.accessToken}/telemetry \\\n  -H 'Content-Type: application/json' \\\n  -d '{"temperature": 25.3, "humidity": 61}'`;
}

export function DeviceCreatedModal({ device, connect, onClose, onOpen }: {
  device: Device | null; connect: ConnectInfo; onClose(): void; onOpen?(d: Device): void;
}) {
  const { t } = useTranslation();
  if (!device) return null;
  return (
    <Modal open title={t('devices.createdTitle')} onCancel={onClose} width={720}
      footer={<Space>
        <Button onClick={onClose}>{t('common.close')}</Button>
        {onOpen && <Button type="primary" onClick={() => onOpen(device)} data-testid="open-device">{t('devices.openDevice')}</Button>}
      </Space>}>
      <Space direction="vertical" style={{ width: '100%' }} size="middle">
        <Alert type="info" showIcon message={t('devices.tokenHint')} />
        <div>
          <Typography.Text strong>{t('devices.accessToken')}</Typography.Text>
          <CopyBlock text={device.accessToken ?? ''} testId="device-token" />
        </div>
        <div>
          <Typography.Text strong>{t('devices.mqttExample')}</Typography.Text>
          <CopyBlock text={mqttExample(device, connect)} testId="mqtt-example" />
        </div>
        <div>
          <Typography.Text strong>{t('devices.httpExample')}</Typography.Text>
          <CopyBlock text={curlExample(device, connect)} testId="curl-example" />
        </div>
      </Space>
    </Modal>
  );
}
