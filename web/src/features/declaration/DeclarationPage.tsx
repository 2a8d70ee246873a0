import { Alert, App as AntApp, Button, Card, Descriptions, Select, Space, Table, Tag, Typography } from 'antd';
import { DownloadOutlined, FileExcelOutlined, FileWordOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import {
  declarationYears, downloadDeclarationFile, fileKind, formatBytes, useGenerateDeclaration, type DeclarationFile,
} from './api';

// 申报书导出: section 二 of the 双跨 application form filled from live data, with its annexes.
export function DeclarationPage() {
  const { t } = useTranslation();
  const { message } = AntApp.useApp();
  const years = declarationYears();
  const [year, setYear] = useState(years[0]);
  const generate = useGenerateDeclaration();
  const result = generate.data;

  const download = async (f: DeclarationFile) => {
    try {
      await downloadDeclarationFile(f);
    } catch (e) {
      void message.error(e instanceof ApiError ? e.message : String(e));
    }
  };

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }} data-testid="declaration-page">
      <Typography.Title level={3} style={{ margin: 0 }}>{t('declaration.title')}</Typography.Title>
      <Typography.Paragraph type="secondary" style={{ maxWidth: 900 }}>{t('declaration.intro')}</Typography.Paragraph>
      <Card size="small">
        <Space wrap>
          <Typography.Text>{t('declaration.year')}</Typography.Text>
          <Select value={year} onChange={setYear} style={{ width: 120 }} data-testid="declaration-year"
            options={years.map((y) => ({ value: y, label: String(y) }))} />
          <Button type="primary" loading={generate.isPending} onClick={() => generate.mutate(year)} data-testid="declaration-generate">
            {t('declaration.generate')}
          </Button>
        </Space>
      </Card>
      {generate.error && <ErrorAlert error={generate.error} />}
      {result && (
        <Card title={t('declaration.result')} size="small" data-testid="declaration-result">
          <Descriptions size="small" column={{ xs: 1, md: 3 }} style={{ marginBottom: 12 }}>
            <Descriptions.Item label={t('declaration.year')}>{result.year}</Descriptions.Item>
            <Descriptions.Item label={t('declaration.asOf')}>{result.asOf}</Descriptions.Item>
            <Descriptions.Item label={t('declaration.files')}>{result.files.length}</Descriptions.Item>
          </Descriptions>
          <Alert type="info" showIcon message={t('declaration.blanks')} style={{ marginBottom: 12 }} />
          <Table<DeclarationFile> rowKey="name" size="small" pagination={false} dataSource={result.files}
            columns={[
              { title: t('declaration.file'), dataIndex: 'name', render: (name: string) => (
                <Space>
                  {fileKind(name) === 'docx' ? <FileWordOutlined style={{ color: '#1668dc' }} /> : <FileExcelOutlined style={{ color: '#389e0d' }} />}
                  <span>{name}</span>
                  {fileKind(name) === 'docx' && <Tag color="blue">{t('declaration.form')}</Tag>}
                </Space>) },
              { title: t('declaration.size'), dataIndex: 'bytes', align: 'right', width: 120, render: (n: number) => formatBytes(n) },
              { title: '', key: 'dl', width: 120, render: (_: unknown, f) => (
                <Button size="small" icon={<DownloadOutlined />} onClick={() => void download(f)} data-testid={`declaration-download-${f.name}`}>
                  {t('declaration.download')}
                </Button>) },
            ]} />
        </Card>
      )}
    </Space>
  );
}
