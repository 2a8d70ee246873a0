import i18n from 'i18next';
import { initReactI18next } from 'react-i18next';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import 'dayjs/locale/en';
import zh from './zh-CN';
import en from './en';

export const LANGUAGES = [
  { code: 'zh-CN', label: '简体中文' },
  { code: 'en', label: 'English' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];
const STORAGE_KEY = 'kaiwu.lang';

function initial(): Language {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  return saved === 'en' ? 'en' : 'zh-CN';
}

function apply(lang: string) {
  dayjs.locale(lang === 'en' ? 'en' : 'zh-cn');
  if (typeof document !== 'undefined') document.documentElement.lang = lang;
}

void i18n.use(initReactI18next).init({
  resources: { 'zh-CN': { translation: zh }, en: { translation: en } },
  lng: initial(),
  fallbackLng: 'zh-CN',
  interpolation: { escapeValue: false },
  returnNull: false,
});
apply(i18n.language);
i18n.on('languageChanged', (lang) => {
  apply(lang);
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* private mode */
  }
});

// Numbers and dates in the current language.
export function formatNumber(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return new Intl.NumberFormat(i18n.language, { maximumFractionDigits: digits }).format(n);
}
export function formatTime(ms: number | null | undefined): string {
  if (!ms) return '—';
  return new Intl.DateTimeFormat(i18n.language, { dateStyle: 'medium', timeStyle: 'medium', hour12: false }).format(new Date(ms));
}


// Today: the time only; other days: date and time.
export function formatShortTime(ms: number | null | undefined): string {
  if (!ms) return '—';
  const d = new Date(ms);
  const today = new Date().toDateString() === d.toDateString();
  return new Intl.DateTimeFormat(i18n.language, today ? { timeStyle: 'medium', hour12: false } : { dateStyle: 'short', timeStyle: 'short', hour12: false }).format(d);
}

export default i18n;
