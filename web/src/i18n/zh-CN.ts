// 简体中文 (default). Keys are shared with en.ts; the Vitest i18n test checks both have the same keys.
const zh = {
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
    retry: '重试', notAvailable: '暂未开放', soon: '待开放',
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
    updatedAt: '更新于 {{time}}', noDevices: '还没有设备。在“设备”页面接入第一台设备。', onlyAdmins: '仅平台管理员可见',
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
    enterprise: '所属企业', park: '所属园区',
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
  alarms: { title: '告警', placeholder: '告警中心正在开发中，将在告警接口发布后开放。' },
  ruleChains: { title: '规则链', placeholder: '规则引擎正在开发中，将在规则链接口发布后开放。' },
  validation: { required: '必填', json: '必须是合法的 JSON' },
};
export default zh;
export type Messages = typeof zh;
