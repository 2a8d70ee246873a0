import type analysisZh from './analysis.zh-CN';

const analysisEn: typeof analysisZh = {
  analysis: {
    nav: 'Economic operation', navMap: 'Industry map', navIndices: 'Indices', navChain: 'Supply chain',
    mapTitle: 'Industry map', indicesTitle: 'Characteristic indices', chainTitle: 'Supply-chain monitoring',
    park: 'Park', allParks: 'All enterprises in my scope', enterprise: 'Enterprise', industry: 'Industry', devices: 'Devices',
    enterprises: 'Enterprises', kwh30: 'Electricity, 30 days (kWh)', alarms30: 'Alarms, 30 days', operatingRate: 'Operating rate',
    longitude: 'Longitude', latitude: 'Latitude', mapCard: 'Where the enterprises are ({{from}} – {{to}}, size = electricity)',
    unlocated: '{{n}} enterprises have no coordinates', byIndustry: 'By industry', enterpriseFigures: 'Key figures per enterprise',
    total: 'All', indexUnit: 'Index', baseLine: 'Base = 100', baseValue: 'Base value', method: 'Method',
    byDay: 'Daily', byWeek: 'Weekly', from: 'From', to: 'To', baseFrom: 'Base from', baseTo: 'Base to',
    reportPeriod: 'Report period', basePeriod: 'Base period', baseDays: '{{n}} days', defaultBase: 'default: the first 7 days with data', baseEquals: 'Base index',
    status: { running: 'Running', slowed: 'Slowed', stopped: 'Stopped', unknown: 'Unknown' },
    statusTitle: 'Operating status', todayRate: 'Operating rate today', baseRate: 'Base operating rate', risk: 'Risk',
    atRisk: 'At risk', atRiskCustomers: 'Customers at risk', atRiskBecause: 'Supplier stopped: {{names}}',
    chainGraph: 'Supply links ({{day}}, arrows: supplier → customer)', nodes: 'Operating status of the enterprises', links: 'Supply links',
    supplier: 'Supplier', customer: 'Customer', material: 'Material', addLink: 'Add supply link',
  },
};
export default analysisEn;
