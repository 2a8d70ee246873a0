// 园区看板与企业画像（report/）的文案。
const parkZh = {
  park: {
    nav: '园区看板', title: '园区运行看板', pickPark: '选择园区', days: '统计天数', daysN: '近 {{n}} 天', range: '{{from}} 至 {{to}}（UTC）',
    noPark: '没有可查看的园区', enterprises: '入驻企业', devices: '设备接入', devicesOf: '{{connected}} / {{total}} 台（24 小时内上报）',
    online: '在线', electricity: '用电量', gas: '用气量', co2: '二氧化碳排放', tce: '综合能耗', output: '产出（件）',
    operatingRate: '开工率', alarmsActive: '未消除告警', alarmsRaised: '新增告警', energyTrend: '能耗与碳排放趋势',
    operationTrend: '开工率与产出趋势', kwh: '用电 kWh', co2t: 'CO₂ t', ratePct: '开工率 %', parts: '产出 件',
    table: '企业运行与数字化水平', enterprise: '企业', industry: '行业', connected: '接入设备', apps: '订阅 APP',
    co2PerOutput: '单件碳排 kgCO₂', rateToday: '今日开工率', rankings: '企业排名', rankBy: {
      electricityKwh: '用电量', co2T: '碳排放', operatingRate: '开工率', output: '产出', alarmsActive: '未消除告警',
    },
    severity: { critical: '紧急', major: '重要', minor: '次要', warning: '提示' },
    method: '计算方法：能耗取电、气、汽、水累计表计的日增量（表计回零按换表处理，与“节能减排”APP 一致）；碳排放 = 用电 × {{kwh}} kgCO₂/kWh + 用气 × {{gas}} kgCO₂/m³；综合能耗按 GB/T 2589-2020 折标（电 {{kgceKwh}} kgce/kWh，气 {{kgceGas}} kgce/m³）；开工率 = 加工设备运行时长 / 有数据时长（state_code = 1 为运行）；产出为件数计数器增量。',
    profile: '企业画像', sme: '中小企业', large: '大中型企业', viewProfile: '画像',
  },
  profile: {
    title: '企业画像', basics: '基本信息', creditCode: '统一社会信用代码', park: '所属园区', scale: '规模', tags: '画像标签',
    noTags: '暂无标签', devicesByCategory: '设备构成', category: { running: '运行设备', processing: '加工设备', mobile: '行走设备', other: '其它' },
    apps: '使用的工业 APP', appName: 'APP', plan: '套餐', calls: '累计调用', since: '订阅时间', callsThisMonth: '本月 APP 调用',
    annualisedTce: '年化综合能耗', noApps: '未订阅 APP', back: '返回园区看板', rule: '规则',
  },
};
export default parkZh;
