import "../src/index.ts";
