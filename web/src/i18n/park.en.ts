import type parkZh from './park.zh-CN';

const parkEn: typeof parkZh = {
  park: {
    nav: 'Park dashboard', title: 'Park operations dashboard', pickPark: 'Park', days: 'Days', daysN: 'Last {{n}} days', range: '{{from}} to {{to}} (UTC)',
    noPark: 'No park to show', enterprises: 'Enterprises', devices: 'Connected devices', devicesOf: '{{connected}} / {{total}} (reported within 24 h)',
    online: 'Online', electricity: 'Electricity', gas: 'Natural gas', co2: 'CO₂ emissions', tce: 'Energy (coal eq.)', output: 'Output (parts)',
    operatingRate: 'Operating rate', alarmsActive: 'Open alarms', alarmsRaised: 'New alarms', energyTrend: 'Energy and carbon trend',
    operationTrend: 'Operating rate and output trend', kwh: 'Electricity kWh', co2t: 'CO₂ t', ratePct: 'Operating rate %', parts: 'Output parts',
    table: 'Enterprises: operations and digitalisation', enterprise: 'Enterprise', industry: 'Industry', connected: 'Connected devices', apps: 'APPs subscribed',
    co2PerOutput: 'kgCO₂ per part', rateToday: 'Operating rate today', rankings: 'Rankings', rankBy: {
      electricityKwh: 'Electricity', co2T: 'CO₂', operatingRate: 'Operating rate', output: 'Output', alarmsActive: 'Open alarms',
    },
    severity: { critical: 'Critical', major: 'Major', minor: 'Minor', warning: 'Warning' },
    method: 'Method: energy is the daily increase of the electricity, gas, steam and water counters (a drop is a meter reset, as in the Energy & carbon APP); CO₂ = kWh × {{kwh}} kgCO₂/kWh + gas m³ × {{gas}} kgCO₂/m³; energy in coal equivalent per GB/T 2589-2020 ({{kgceKwh}} kgce/kWh, {{kgceGas}} kgce/m³); operating rate = running time / time with data of the processing machines (state_code 1 = running); output = increase of the part counters.',
    profile: 'Enterprise profile', sme: 'SME', large: 'Large / medium', viewProfile: 'Profile',
  },
  profile: {
    title: 'Enterprise profile', basics: 'Basics', creditCode: 'Unified social credit code', park: 'Park', scale: 'Scale', tags: 'Profile tags',
    noTags: 'No tags', devicesByCategory: 'Devices by category', category: { running: 'Running', processing: 'Processing', mobile: 'Mobile', other: 'Other' },
    apps: 'Industrial APPs used', appName: 'APP', plan: 'Plan', calls: 'Calls (total)', since: 'Subscribed', callsThisMonth: 'APP calls this month',
    annualisedTce: 'Annualised energy', noApps: 'No APP subscribed', back: 'Back to the park dashboard', rule: 'Rule',
  },
};
export default parkEn;
