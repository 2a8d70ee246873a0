// 经济运行分析 (economic-operation analysis) pages; keys shared with analysis.en.ts.
const analysisZh = {
  analysis: {
    nav: '经济运行', navMap: '产业地图', navIndices: '特色指数', navChain: '供应链监测',
    mapTitle: '产业地图', indicesTitle: '特色指数', chainTitle: '供应链监测',
    park: '园区', allParks: '全部企业（我的范围）', enterprise: '企业', industry: '行业', devices: '设备数',
    enterprises: '企业数', kwh30: '近30天用电 (kWh)', alarms30: '近30天告警', operatingRate: '开工率',
    longitude: '经度', latitude: '纬度', mapCard: '企业分布（{{from}} ~ {{to}}，点大小 = 用电量）',
    unlocated: '{{n}} 家企业未填写坐标', byIndustry: '按行业统计', enterpriseFigures: '企业关键指标',
    total: '全部', indexUnit: '指数', baseLine: '基期 = 100', baseValue: '基期值', method: '计算方法',
    byDay: '按日', byWeek: '按周', from: '开始日期', to: '结束日期', baseFrom: '基期开始', baseTo: '基期结束',
    reportPeriod: '报告期', basePeriod: '基期', baseDays: '{{n}} 天', defaultBase: '默认：最早有数据的 7 天', baseEquals: '基期指数',
    status: { running: '正常运行', slowed: '减产', stopped: '停产', unknown: '未知' },
    statusTitle: '运行状态', todayRate: '今日开工率', baseRate: '基期开工率', risk: '风险',
    atRisk: '有风险', atRiskCustomers: '有风险的客户', atRiskBecause: '供应商停产：{{names}}',
    chainGraph: '供应关系图（{{day}}，箭头：供应商 → 客户）', nodes: '企业运行状态', links: '供应关系',
    supplier: '供应商', customer: '客户', material: '物料', addLink: '添加供应关系',
  },
};
export default analysisZh;
