import type appsZh from './apps.zh-CN';

const appsEn: typeof appsZh = {
  market: {
    title: 'APP marketplace', upload: 'Upload APP', reviews: 'Review queue', allDomains: 'All domains', searchPlaceholder: 'Search name, id, publisher',
    empty: 'No APPs match', builtin: 'Built-in', publisher: 'Publisher', runs: 'Run log', detail: 'APP details', unlisted: 'Not listed',
    domain: 'MIIT domain', origin: 'Origin', form: 'Form', subscribers: 'Subscribed enterprises', averageRating: 'Average rating',
    domains: { safety: 'Work safety', energy_carbon: 'Energy & carbon', quality: 'Quality', supply_chain: 'Supply chain', rnd: 'R&D and design',
      production: 'Production', operations: 'Operations', warehousing: 'Warehousing & logistics', maintenance: 'Maintenance & service' },
    origins: { self_built: 'Self-built', partner: 'Partner' },
    forms: { built_on_platform: 'Built on the platform', cloudified_legacy: 'Cloudified legacy software' },
    permissions: 'Permissions requested', noPermissions: 'This APP requests no data permissions',
    perm: {
      telemetry_read: "Read telemetry of the enterprise's devices", telemetry_write: "Write derived telemetry to the enterprise's devices",
      attributes_read: "Read the enterprise's device attributes", alarms_read: "Read the enterprise's alarms", alarms_write: "Raise alarms on the enterprise's devices",
      devices_read: "List the enterprise's devices", rpc_call: "Send RPC commands to the enterprise's devices",
      http_outbound: 'Reach the external HTTP hosts its manifest lists', storage: 'Keep its own settings and data', models_invoke: "Invoke the platform's industrial models",
      files_write: 'Produce downloadable files (e.g. Excel reports)',
    },
    plansTitle: 'Plans', plans: { free: 'free', monthly: '¥{{price}} / month', per_call: '¥{{price}} / call' },
    subscriptions: 'Subscriptions', subscribe: 'Subscribe', unsubscribe: 'Unsubscribe', notSubscribed: 'Not subscribed', subscribed: 'Subscribed', unsubscribed: 'Unsubscribed',
    myEnterprise: 'My enterprise', enterprise: 'Enterprise', plan: 'Plan', calls: 'Calls', since: 'Since', open: 'Open APP',
    confirmUnsubscribe: 'Unsubscribe? The APP stops running for this enterprise.', subscribeTitle: 'Subscribe to “{{name}}”', confirmSubscribe: 'Grant and subscribe',
    grantTitle: 'Subscribing lets this APP use these permissions within the enterprise:', pickEnterprise: 'Pick an enterprise',
    ratings: 'Ratings and reviews', rateThis: 'Rate this APP', rateAgain: 'Change my rating', commentPlaceholder: 'Your experience (optional)', submitRating: 'Submit rating',
    rated: 'Rating saved', noRatings: 'No reviews yet',
    versions: 'Versions', version: 'Version', status: 'Status', statuses: { pending: 'Pending', approved: 'Approved', rejected: 'Rejected' },
    uploadedAt: 'Uploaded', reason: 'Reason', functions: 'Functions', triggers: 'Triggers',
    triggerTypes: { http: 'HTTP call', schedule: 'Schedule', telemetry: 'Telemetry', alarm: 'Alarm' },
    approve: 'Approve', reject: 'Reject', approved: 'Approved: the APP is listed', rejected: 'Rejected', noPending: 'No versions waiting for review',
    rejectTitle: 'Reject {{id}} {{version}}', reasonRequired: 'Give a reason (the developer sees it)', ui: 'UI', signature: 'Signature', keyFingerprint: 'Key fingerprint',
  },
  myApps: {
    title: 'APPs', nav: 'APPs', group: 'APPs & models', empty: 'Your enterprise has no APPs yet: have a look at the marketplace', enterprises: 'Subscribed by {{count}} enterprise(s)',
    notSubscribed: 'No enterprise in your scope subscribes to this APP', noUi: 'This APP has no UI; call its functions through the API',
  },
  upload: {
    title: 'Upload an APP package', keyTitle: 'Publisher key (register before the first upload)',
    keyHint: 'Make a key pair with openssl genpkey -algorithm ed25519 and register the public key; pack and sign with kaiwu app pack <dir> -k <private key>.',
    publicKey: 'Ed25519 public key (PEM)', registerKey: 'Register key', keyRegistered: 'Key registered for publisher {{publisher}}',
    packageTitle: 'Package', hint: 'Pick the .json package made by kaiwu app pack. It is validated first; each problem points at a JSON pointer in the manifest or a file:line. Upload it for review once it is valid.',
    pick: 'Choose package file', validating: 'Validating…', invalid: 'Not valid: {{count}} problem(s)', noSource: 'This problem is not about a file of the package',
    valid: 'Valid', submit: 'Upload for review', uploaded: 'Uploaded', pendingReview: '{{id}} {{version}} uploaded; waiting for the platform review',
  },
  runs: {
    title: 'Run log', allEnterprises: 'All enterprises', ok: 'OK', failed: 'Failed', trigger: 'Trigger', function: 'Function', status: 'Status',
    started: 'Started', duration: 'Duration', error: 'Error', noLog: '(no log lines)', count: 'Showing {{shown}} of {{total}} runs',
  },
  models: {
    title: 'Industrial models', search: 'Search model name or id', type: 'Model type', version: 'Version', scope: 'Scope', public: 'Platform (public)', own: 'This tenant',
    deprecated: 'Deprecated', optional: 'optional', types: { research_simulation: 'R&D simulation', business_process: 'Business process', mechanism: 'Industry mechanism', data_algorithm: 'Data algorithm' },
    valueType: 'Type', valueTypes: { number: 'number', series: 'series', string: 'text', boolean: 'boolean' }, unit: 'Unit', range: 'Range', default: 'Default',
    inputs: 'Inputs', outputs: 'Outputs', parameters: 'Parameters', versions: 'Versions', author: 'Author', implementation: 'Implementation', tags: 'Tags', createdBy: 'Published by',
    invoke: 'Invoke the model', run: 'Run', inline: 'Inline values', fromDevice: "Device's stored series", device: 'Device', key: 'Telemetry key', raw: 'Raw values',
    seriesIncomplete: 'Input {{name}}: pick a device, a key and a time range', notNumbers: 'Input {{name}}: enter numbers separated by commas or spaces',
    writeBack: "Write the results back as the device's derived telemetry", writeBackIncomplete: 'Write-back: pick a device and the outputs to write', writtenBack: '{{count}} point(s) written back',
  },
};
export default appsEn;
