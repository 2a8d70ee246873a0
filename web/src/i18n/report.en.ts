import type reportZh from './report.zh-CN';

const reportEn: typeof reportZh = {
  indicators: {
    title: 'Platform indicators', nav: 'Platform indicators', asOf: 'As of', month: 'month', generated: 'generated',
    platformScope: 'Whole platform', tenantScope: 'This tenant',
    intro: "The objective figures of the MIIT cross-industry platform application form, computed from the platform's live data, each with its definition and the query behind it. Figures marked “filled in by the operator” are not known to the platform: add them to the form.",
    figure: 'Figure', value: 'Value', definition: 'Definition and query', query: 'Query', documentary: 'Filled in by the operator',
    yes: 'Yes', no: 'No', none: 'None', app: 'APP', subscribers: 'Subscribers', dailyCalls: 'Calls per day', revenue: 'Monthly revenue (CNY)',
    crossPlatform: 'Cross-platform invocation',
  },
  solutions: {
    title: 'Solutions', nav: 'Solutions', create: 'New solution', edit: 'Edit solution', saved: 'Solution saved', deleted: 'Solution deleted',
    intro: "The catalogue of solutions for industries × domains, bundling the platform's APPs, models and device profiles: the source of the “solution supply” indicator.",
    id: 'Solution id', idHint: 'a-z, 0-9, -, _ and .; empty: generated', name: 'Name', nameZh: 'Name (Chinese)', nameEn: 'Name (English)',
    descriptionZh: 'Description (Chinese)', descriptionEn: 'Description (English)', industries: 'Industries', domains: 'Domains', apps: 'APPs',
    models: 'Models', technologies: 'Technologies', cases: 'Cases', confirmDelete: 'Delete this solution?',
    tech: { '5g': '5G', bigdata: 'Big data', ai: 'AI', digitaltwin: 'Digital twin', blockchain: 'Blockchain', arvr: 'AR/VR' },
  },
};
export default reportEn;
