// Strings of the platform indicators and solution catalogue pages (merged into zh-CN.ts).
const reportZh = {
  indicators: {
    title: '平台指标', nav: '平台指标', asOf: '统计日', month: '统计月', generated: '生成于',
    platformScope: '全平台', tenantScope: '本租户',
    intro: '双跨平台申报书中的各项客观指标，均由平台实时数据计算；每项附定义和计算所用的查询。“运营方填写”的指标平台无法得知，请在申报书中补充。',
    figure: '指标', value: '数值', definition: '定义与查询', query: '查询', documentary: '运营方填写',
    yes: '是', no: '否', none: '暂无', app: 'APP', subscribers: '订阅企业', dailyCalls: '日调用次数', revenue: '月收入（元）',
    crossPlatform: '跨平台调用',
  },
  solutions: {
    title: '解决方案', nav: '解决方案', create: '新建方案', edit: '编辑方案', saved: '方案已保存', deleted: '方案已删除',
    intro: '行业 × 领域的解决方案目录：组合平台上的 APP、模型和设备档案，是“解决方案供给”指标的来源。',
    id: '方案编号', idHint: '小写字母、数字、-、_、.；留空则自动生成', name: '名称', nameZh: '中文名称', nameEn: '英文名称',
    descriptionZh: '中文描述', descriptionEn: '英文描述', industries: '覆盖行业', domains: '覆盖领域', apps: 'APP', models: '模型',
    technologies: '融合技术', cases: '案例数', confirmDelete: '确定删除该方案？',
    tech: { '5g': '5G', bigdata: '大数据', ai: '人工智能', digitaltwin: '数字孪生', blockchain: '区块链', arvr: 'AR/VR' },
  },
};
export default reportZh;
