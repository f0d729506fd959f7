// The help of the five action nodes, made from one template per language: for each language
// folder with nodes/locales/<lang>/mypos-actions.help.html (the template) and
// mypos-actions.help.json (each action's texts), writes
// dist/nodes/locales/<lang>/mypos-actions.html with one <script data-help-name="mypos-ACTION">
// block per action, which is where Node-RED looks for it. Called by build.js after tsc.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const TEMPLATE = 'mypos-actions.help.html';
const TEXTS = 'mypos-actions.help.json';
const OUTPUT = 'mypos-actions.html';

/**
 * Fills a template: {{#flag}}…{{/flag}} is kept when flags[flag] is true, {{^flag}}…{{/flag}}
 * when it is false; then {{key}} becomes texts[key]. Anything unknown or left over throws, so a
 * typo fails the build instead of reaching the help sidebar.
 */
function fill(template, flags, texts, where) {
  const section = /\{\{([#^])(\w+)\}\}\n?([\s\S]*?)\{\{\/\2\}\}\n?/g;
  let text = template;
  for (let previous; previous !== text;) {
    previous = text;
    text = text.replace(section, (whole, kind, flag, body) => {
      if (!(flag in flags)) throw new Error(`${where}: unknown flag {{${kind}${flag}}}`);
      return flags[flag] === (kind === '#') ? body : '';
    });
  }
  text = text.replace(/\{\{(\w+)\}\}/g, (whole, key) => {
    if (typeof texts[key] !== 'string') throw new Error(`${where}: no text "${key}"`);
    return texts[key];
  });
  const left = /\{\{[^}]*\}\}/.exec(text);
  if (left) throw new Error(`${where}: ${left[0]} left over`);
  return text;
}

function buildActionHelp(root, dist) {
  const { ACTIONS, ACTION_SPECS } = require(path.join(dist, 'src', 'protocol'));
  const locales = path.join(root, 'nodes', 'locales');
  for (const lang of fs.readdirSync(locales)) {
    const templateFile = path.join(locales, lang, TEMPLATE);
    if (!fs.existsSync(templateFile)) continue;
    // The comment at the top explains the template; the help itself starts after it.
    const template = fs.readFileSync(templateFile, 'utf8').replace(/^\s*<!--[\s\S]*?-->\s*/, '');
    const texts = JSON.parse(fs.readFileSync(path.join(locales, lang, TEXTS), 'utf8'));
    const extra = Object.keys(texts).filter((action) => !ACTIONS.includes(action));
    if (extra.length > 0) throw new Error(`${lang}/${TEXTS}: no such action ${extra.join(', ')}`);
    for (const [action, own] of Object.entries(texts)) {
      const unused = Object.keys(own).filter((key) => !template.includes(`{{${key}}}`));
      if (unused.length > 0) throw new Error(`${lang}/${TEXTS} (${action}): not in the template: ${unused.join(', ')}`);
    }
    const blocks = ACTIONS.map((action) => {
      const spec = ACTION_SPECS[action];
      const flags = {
        amount: spec.hasAmount,
        invoice: spec.hasInvoice,
        preauthcode: spec.hasPreauthCode,
        preauthorization: ['preauth', 'complete', 'cancel'].includes(action),
        ...Object.fromEntries(ACTIONS.map((other) => [other, other === action])),
      };
      const body = fill(template, flags, { action, ...texts[action] }, `${lang}/${TEMPLATE} (${action})`);
      return `<script type="text/html" data-help-name="mypos-${action}">\n${body.trim()}\n</script>\n`;
    });
    const header = `<!-- Made by scripts/build-help.js from nodes/locales/${lang}/${TEMPLATE} and ${TEXTS}: edit those. -->\n`;
    fs.writeFileSync(path.join(dist, 'nodes', 'locales', lang, OUTPUT), header + blocks.join('\n'));
  }
}

/** Whether a file of nodes/locales is a source of the help rather than a file Node-RED reads. */
const isHelpSource = (file) => file.endsWith(TEMPLATE) || file.endsWith(TEXTS);

module.exports = { buildActionHelp, fill, isHelpSource };
