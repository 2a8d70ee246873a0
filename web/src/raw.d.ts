// Vite's ?raw imports (the file's text), used by the tests.
declare module '*?raw' {
  const text: string;
  export default text;
}
