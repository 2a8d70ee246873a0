// 简体中文 (default). Keys are shared with en.ts; the Vitest i18n test checks both have the same keys.
import parkZh from './park.zh-CN';
import appsZh from './apps.zh-CN';
import analysisZh from './analysis.zh-CN';
import reportZh from './report.zh-CN';

const zh = {
  ...appsZh,
  ...analysisZh,
  ...parkZh,
  ...reportZh,
  app: { name: '开物', fullName: '开物工业互联网平台', tagline: '设备接入 · 数据采集 · 园区与企业管理' },
  nav: {
    overview: '总览', tenants: '租户', parks: '园区', enterprises: '企业', devices: '设备', profiles: '设备档案',
    users: '用户', apikeys: 'API 密钥', alarms: '告警', ruleChains: '规则链', management: '组织与权限', iot: '设备管理',
  },
  common: {
    create: '新建', edit: '编辑', delete: '删除', cancel: '取消', save: '保存', ok: '确定', refresh: '刷新',
    search: '搜索', loading: '加载中…', actions: '操作', name: '名称', description: '描述', createdAt: '创建时间',
    yes: '是', no: '否', none: '—', copy: '复制', copied: '已复制', close: '关闭', confirmDelete: '确定删除“{{name}}”？',
    deleted: '已删除', created: '已创建', saved: '已保存', tenant: '租户', all: '全部', id: 'ID', never: '从未',
    retry: '重试', editTitle: '编辑“{{name}}”', updated: '已更新',
  },
  error: { title: '请求失败', network: '无法连接服务器', code: '错误码', status: 'HTTP 状态' },
  login: {
    title: '登录', username: '用户名', password: '密码', submit: '登录', usernameRequired: '请输入用户名',
    passwordRequired: '请输入密码', expired: '登录已过期，请重新登录', loggedOut: '已退出登录', failed: '登录失败',
  },
  header: { language: '语言', theme: '主题', light: '浅色', dark: '深色', logout: '退出登录', role: '角色' },
  roles: {
    'platform-admin': '平台管理员', 'tenant-admin': '租户管理员', 'park-admin': '园区管理员',
    'enterprise-admin': '企业管理员', engineer: '工程师', viewer: '只读用户', developer: '开发者',
  },
  category: { running: '运行设备', processing: '加工设备', mobile: '行走设备', other: '其它' },
  parkLevel: { national: '国家级', provincial: '省级', municipal: '市级', other: '其它' },
  overview: {
    title: '平台总览', devices: '设备总数', online: '当前在线', active24h: '24 小时活跃设备', enterprises: '企业数',
    parks: '园区数', profiles: '设备档案', gateways: '网关', samplesRate: '采集速率', samplesUnit: '点/秒',
    byCategory: '按工信部分类统计设备', byProtocol: '按接入协议统计设备', onlineRate: '在线率',
    updatedAt: '更新于 {{time}}', activeAlarms: '未清除告警', viewAlarms: '查看告警 →', noDevices: '还没有设备。在“设备”页面接入第一台设备。', onlyAdmins: '仅平台管理员可见',
  },
  tenants: { title: '租户', create: '新建租户' },
  parks: { title: '园区', create: '新建园区', region: '地区', level: '级别', address: '地址' },
  enterprises: {
    title: '企业', create: '新建企业', creditCode: '统一社会信用代码', industry: '行业', park: '所属园区', sme: '中小企业',
    paid: '付费', address: '地址', longitude: '经度', latitude: '纬度', creditCodeHelp: '18 位，按 GB 32100-2015 校验',
  },
  users: {
    title: '用户', create: '新建用户', username: '用户名', displayName: '姓名', role: '角色', disabled: '已停用',
    status: '状态', active: '正常', lastLogin: '最近登录', password: '初始密码', passwordHelp: '至少 10 位',
    enterprise: '所属企业', park: '所属园区', newPassword: '新密码', newPasswordHelp: '留空则不修改；至少 10 位',
  },
  apikeys: {
    title: 'API 密钥', create: '新建密钥', prefix: '前缀', role: '角色', lastUsed: '最近使用', expiresAt: '过期时间',
    createdTitle: '密钥已创建', createdHint: '请立即复制并妥善保存，关闭后将无法再次查看。', enterprise: '所属企业',
  },
  profiles: {
    title: '设备档案（物模型）', create: '新建设备档案', thingModel: '物模型', properties: '属性数', editor: '物模型 JSON',
    invalidJson: 'JSON 格式错误：{{message}}', validHint: '物模型结构有效：{{props}} 个属性，{{events}} 个事件，{{services}} 个服务',
    format: '格式化', template: '插入示例', edit: '编辑设备档案',
  },
  devices: {
    title: '设备', create: '接入设备', category: '设备分类', protocol: '接入协议', enterprise: '所属企业',
    profile: '设备档案', gateway: '网关设备', label: '标签', status: '状态', online: '在线', offline: '离线',
    lastSeen: '最近上报', searchPlaceholder: '按名称搜索', createdTitle: '设备已接入', accessToken: '访问令牌',
    tokenHint: '设备用访问令牌认证：MQTT 用户名或 HTTP 路径中的令牌。请妥善保存。',
    mqttExample: 'MQTT 上报遥测（mosquitto_pub）', httpExample: 'HTTP 上报遥测（curl）', openDevice: '查看设备',
    noEnterprise: '请先创建企业，设备必须归属一个企业。',
  },
  device: {
    alarms: '告警', live: '实时',
    connect: '接入示例', title: '设备详情', info: '基本信息', latest: '最新数据', attributes: '属性', telemetry: '遥测', trend: '实时趋势',
    history: '历史查询', rpc: '远程调用（RPC）', key: '数据项', value: '值', time: '时间', noTelemetry: '暂无遥测数据',
    scopeClient: '客户端属性', scopeShared: '共享属性', scopeServer: '服务端属性', noAttributes: '暂无属性',
    range: '时间范围', agg: '聚合方式', interval: '聚合周期', query: '查询', keys: '数据项',
    aggNone: '原始数据', aggAvg: '平均值', aggMin: '最小值', aggMax: '最大值', aggSum: '求和', aggCount: '计数',
    aggFirst: '首值', aggLast: '末值', points: '{{count}} 个数据点', polling: '每 {{seconds}} 秒刷新',
    rpcMethod: '方法', rpcParams: '参数（JSON）', rpcTimeout: '超时（毫秒）', rpcSend: '发送', rpcResult: '设备应答',
    rpcOffline: '设备离线时调用会失败', last15m: '最近 15 分钟', last1h: '最近 1 小时', last24h: '最近 24 小时',
    last7d: '最近 7 天', rotateToken: '重置令牌', rotateConfirm: '重置后旧令牌立即失效，设备需使用新令牌重新连接。确定重置？', tokenRotated: '令牌已重置', edit: '编辑设备', notFound: '设备不存在',
  },
  alarms: {
    title: '告警', severityLabel: '级别', statusLabel: '状态', type: '告警类型', device: '设备',
    enterprise: '企业', start: '首次发生', last: '最近发生', count: '次数', details: '告警详情', trigger: '触发数据',
    history: '处理记录', ack: '确认', clear: '清除', acknowledged: '告警已确认', clearedMsg: '告警已清除',
    confirmAck: '确认告警“{{type}}”？', confirmClear: '清除告警“{{type}}”？清除后告警不再处于活动状态。',
    ackBy: '确认人', clearBy: '清除人', none: '没有符合条件的告警', resetFilters: '重置筛选',
    severity: { critical: '紧急', major: '重要', minor: '次要', warning: '提示' },
    status: { active: '活动', acknowledged: '已确认', 'cleared-unacknowledged': '已清除未确认', cleared: '已清除' },
    action: { created: '产生', updated: '级别变更', acknowledged: '确认', cleared: '清除' },
  },
  live: {
    open: '实时', connecting: '连接中…', reconnecting: '重新连接中…', unavailable: '轮询中',
    hint: {
      open: '已通过 WebSocket 实时推送', connecting: '正在连接实时推送', reconnecting: '连接中断，正在重连',
    unavailable: '实时推送不可用，改为定时刷新',
    },
  },
  ruleChains: {
    title: '规则链', create: '新建规则链', enabled: '启用', version: '版本', updatedAt: '更新时间',
    updatedBy: '更新人', enabledMsg: '规则链已启用', disabledMsg: '规则链已停用',
    editor: '定义（JSON）', jsonError: 'JSON 语法错误（第 {{line}} 行，第 {{column}} 列）：{{message}}',
    valid: '定义有效', invalid: '问题数：{{count}}', stateOn: '已启用', stateOff: '已停用', chainErrors: '规则链', nodes: '节点',
    nodeId: '节点 ID', nodeType: '类型', next: '后继', saveVersion: '保存为新版本', savedVersion: '已保存为第 {{version}} 版',
    versions: '版本历史', load: '载入编辑器', viewing: '正在查看第 {{version}} 版（未保存）', current: '当前版本',
    dryRun: '试运行', msgType: '消息类型', msgDevice: '设备', msgData: '数据（JSON）', msgMetadata: '元数据（JSON）',
    run: '运行', path: '执行路径', relation: '关系', output: '输出',
    actions: '将执行的动作（试运行不执行）', noActions: '无动作', noSteps: '消息未经过任何节点', graph: '流程图',
    format: '格式化', notFound: '规则链不存在', dryRunHint: '用当前编辑器中的定义运行一次，不产生任何副作用',
    back: '返回列表',
  },
  validation: { required: '必填', json: '必须是合法的 JSON' },
  // --- developer portal and metering (devportal) ---
  devportal: {
    navHome: '开发者中心', navDocs: 'API 文档', registerLink: '注册成为开发者', haveAccount: '已有账号？登录',
    registerTitle: '开发者注册', registerIntro: '注册后我们会向您的邮箱发送验证链接；验证后即可登录，并获得带模拟设备的沙箱租户。',
    email: '邮箱', emailRequired: '请输入邮箱', emailInvalid: '邮箱格式不正确', name: '姓名', nameRequired: '请输入姓名',
    organisation: '单位 / 组织', password: '密码', passwordHint: '至少 10 个字符', passwordRequired: '请输入至少 10 个字符的密码',
    confirm: '确认密码', confirmMismatch: '两次输入的密码不一致', submit: '注册', registeredTitle: '请查收验证邮件',
    registeredText: '验证邮件已发送至 {{email}}，请在 {{hours}} 小时内点击邮件中的链接完成验证。', resend: '重新发送验证邮件',
    resent: '验证邮件已重新发送', verifyTitle: '邮箱验证', verifying: '正在验证…', verifiedTitle: '验证成功',
    verifiedText: '账号 {{username}} 已激活，沙箱租户已创建。', goLogin: '去登录', verifyFailed: '验证失败',
    noToken: '链接中缺少验证令牌。', homeTitle: '开发者中心', sandbox: '沙箱设备', sandboxHint: '沙箱租户中的模拟设备，数据每隔几秒刷新。',
    device: '设备', values: '最新数据', updated: '更新时间', apiKeys: 'API 密钥', createKey: '创建 API 密钥', keyName: '密钥名称',
    keyCreated: 'API 密钥已创建（只显示这一次）', prefix: '前缀', lastUsed: '最近使用', myUsage: '我的用量（本月）',
    logins: '登录次数', toolCalls: '工具调用', daily: '每日明细', day: '日期', kind: '类型', count: '次数',
    docsTitle: 'API 文档', docsIntro: '由服务端 OpenAPI 文档生成，按模块分组。', method: '方法', path: '路径', summary: '说明',
    access: '访问', public: '公开', signedIn: '需登录', operations: '{{count}} 个接口', openapi: '下载 OpenAPI JSON',
  },
  metering: {
    title: '计量统计', month: '月份', activeApps: '月活 APP', activeModels: '活跃模型', activeDevelopers: '活跃开发者',
    appCalls: 'APP 调用', appVisits: 'APP 访问', modelCalls: '模型调用', developerLogins: '开发者登录', toolCalls: '开发者工具调用',
    failedCalls: '失败调用', byEnterprise: '各企业调用量', enterprise: '企业', calls: '调用次数', dailyTitle: '每日调用',
    scope: '统计范围', platform: '全平台', tenantOnly: '本租户', noData: '本月暂无计量记录',
    kinds: { app_visit: 'APP 访问', app_call: 'APP 调用', model_call: '模型调用', developer_login: '开发者登录', tool_call: '工具调用' },
  },
  declaration: {
    title: '申报书导出', year: '申报年度', generate: '生成申报书', result: '生成结果', asOf: '数据截止日期', files: '文件数',
    file: '文件', size: '大小', download: '下载', form: '申报书正文',
    intro: '按《跨行业跨领域工业互联网平台申报书》第二部分“平台基本情况与能力指标”的版式（A4，正文3号仿宋，一级标题3号黑体，二级标题3号楷体，三级目录）用平台实时数据生成 Word 文档，并附设备、模型、APP、服务企业、解决方案清单和运行日志摘录（Excel）。',
    blanks: '平台数据无法给出的内容（财务、专利、认证等）在文中以黄色高亮的“【待填写：…】”标出，请据实填写，切勿编造。',
  },
};
export default zh;
export type Messages = typeof zh;
