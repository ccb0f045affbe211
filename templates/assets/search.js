// Search page: a small UI over Pagefind's JS API (see docs/search.md).
//
// Paths are relative to this script, so the portal works from any sub-path: the index is at
// ../pagefind/ and result URLs are made relative to the site root (../).
//
// Ranking (docs/search.md, "Ranking"): an unquoted query is searched as words, by Pagefind's
// relevance (weights: headings, the title, headline figures; see the templates'
// data-pagefind-weight). Pages that contain every word of the query come first, labelled so, then
// the pages that contain only some of them (Pagefind drops a word no page has). Within each group
// the pages with more of the query's parts as written (the exact phrase, one search per part) come
// first, then by relevance; the first results, whose fragments are fetched for their excerpts, are
// then put subject first (subjectOf: the query in a title, heading, headline figure or glossary
// term), and each links to the section where the query's words are (bestSection). Quotation marks a
// reader pastes (“三公”经费) are not part of the words. The query and filters live in the URL
// (?q=…&department=…), so a search can be shared and the back button works.

const siteRoot = new URL("../", import.meta.url);
const PAGE_SIZE = 5;  // results whose excerpts are fetched at a time (each is one ~16 KB index fragment)
const FILTERS = ["department", "year", "kind", "region"];
const KIND_OF_FILTER = { department: "部门", year: "年度", kind: "类型", region: "地区" };

const form = document.getElementById("search-form");
const input = document.getElementById("q");
const statusLine = document.getElementById("search-status");
const resultsBox = document.getElementById("search-results");
const termsBox = document.getElementById("search-terms");
const glossary = JSON.parse(document.getElementById("glossary-terms")?.textContent || "[]");
let pagefind = null;
let runId = 0;

/** Full-width digits and punctuation folded; thousands commas dropped (15,456.36 → 15456.36). */
export function normalizeQuery(text) {
  return text.normalize("NFKC").replace(/(\d),(?=\d{3}(\D|$))/g, "$1").replace(/\s+/g, " ").trim();
}

/** Quotation marks of Chinese text (“三公”经费): not words, and the page may write the term without them. */
const QUOTES = /[“”‘’「」『』]/g;
// Pagefind's term frequency counts half (measured on the ranking test set: docs/search.md, "Ranking")
const RANKING = { termFrequency: 0.5 };

/** The query in the status line, inside our own quotation marks: its own become the inner kind (‘’). */
function quoted(query) {
  return `“${query.replace(/[“「『]/g, "‘").replace(/[”」』]/g, "’")}”`;
}

/** Pagefind's words of a query, as pagefind.js splits them (Intl.Segmenter, punctuation dropped). */
function queryWords(query) {
  if (typeof Intl.Segmenter === "undefined") return query.split(" ").filter(Boolean);
  return [...new Intl.Segmenter("zh-CN", { granularity: "word" }).segment(query)]
    .filter((s) => s.isWordLike).map((s) => s.segment);
}

/** A term's spelling as a query may give it: quotes, spaces and case do not count (三公经费 = “三公”经费). */
function foldTerm(text) {
  return text.normalize("NFKC").replace(/[“”"'‘’「」『』\s]/g, "").toLowerCase();
}

/** The glossary terms a query names (exactly first, then those it contains or is part of), at most ``limit``. */
export function matchingTerms(query, terms = glossary, limit = 3) {
  const folded = foldTerm(query);
  if (folded.length < 2) return [];
  const exact = [];
  const partial = [];
  for (const term of terms) {
    const spellings = [term.term, ...(term.aliases || [])].map(foldTerm);
    if (spellings.includes(folded)) exact.push(term);
    else if (spellings.some((s) => s.includes(folded) || folded.includes(s))) partial.push(term);
  }
  return [...exact, ...partial].slice(0, limit);
}

/** Above the results: the definition of each term the query names, linked to the glossary. */
function showTerms(query) {
  const found = query ? matchingTerms(query) : [];
  if (!found.length) {
    termsBox.replaceChildren();
    return;
  }
  const box = document.createElement("section");
  box.className = "term-answer";
  box.setAttribute("aria-labelledby", "term-answer-h");
  const heading = document.createElement("h2");
  heading.id = "term-answer-h";
  heading.textContent = "名词解释";
  const list = document.createElement("dl");
  for (const term of found) {
    const name = document.createElement("dt");
    const link = document.createElement("a");
    link.href = new URL(`glossary/index.html#term-${term.id}`, siteRoot).href;
    link.textContent = term.term;
    name.append(link);
    const definition = document.createElement("dd");
    definition.textContent = term.definition;
    list.append(name, definition);
  }
  box.append(heading, list);
  termsBox.replaceChildren(box);
}

function field(name) {
  return form.elements.namedItem(name);
}

function readUrl() {
  const params = new URLSearchParams(location.search);
  input.value = params.get("q") || "";
  for (const name of [...FILTERS, "sort"]) {
    const select = field(name);
    if (select) select.value = params.get(name) || "";
  }
}

function writeUrl(push) {
  const params = new URLSearchParams();
  if (input.value.trim()) params.set("q", input.value.trim());
  for (const name of [...FILTERS, "sort"]) {
    const select = field(name);
    if (select && select.value) params.set(name, select.value);
  }
  const url = `${location.pathname}${params.toString() ? "?" + params : ""}`;
  if (url !== location.pathname + location.search) {
    (push ? history.pushState : history.replaceState).call(history, null, "", url);
  }
}

function chosenFilters() {
  const filters = {};
  for (const name of FILTERS) {
    const select = field(name);
    if (select && select.value) filters[name] = select.value;
  }
  return filters;
}

// A large portal is indexed in shards (site-builder build --search-shard-size), each holding whole
// departments grouped by region; pagefind/shards.json lists them with their pages, regions and
// years (docs/search.md, "Shards searched when needed"). pagefind.js loads the first (pagefind/
// itself); the others are merged only when a search needs them, and stay merged.
let shards = [{ path: "" }];
let regionNames = new Set(); // every name a query may give a shard's region by (placeNames)
const merged = new Set([0]);

/** The shards of shards.json, what each holds (one of an earlier build lists only the further shards). */
function shardList(listed) {
  return listed?.contents || [{ path: "" }, ...(listed?.shards || []).map((path) => ({ path }))];
}

async function loadPagefind() {
  if (pagefind) return pagefind;
  try {
    pagefind = await import(new URL("pagefind/pagefind.js", siteRoot).href);
  } catch (error) {
    statusLine.textContent = "本站暂未生成搜索索引，请从首页的部门索引浏览各部门的公开文件。";
    throw error;
  }
  // noWorker: searching a few index chunks takes milliseconds, and the web worker would cost
  // every first query another 12 KB script (pagefind-worker.js)
  await pagefind.options({ baseUrl: siteRoot.pathname, excerptLength: 40, noWorker: true, ranking: RANKING });
  shards = shardList(await fetch(new URL("pagefind/shards.json", siteRoot)).then((r) => (r.ok ? r.json() : null),
    () => null));
  regionNames = new Set(shards.flatMap((shard) => (shard.regions || []).flatMap(placeNames)));
  return pagefind;
}

/** Merge the shards numbered ``wanted`` (positions in shards.json) that are not merged yet. */
async function mergeShards(pf, wanted) {
  const fresh = wanted.filter((i) => !merged.has(i));
  fresh.forEach((i) => merged.add(i));
  await Promise.all(fresh.map((i) => pf.mergeIndex(new URL(`pagefind/${shards[i].path}`, siteRoot).href,
    { baseUrl: siteRoot.pathname })));
}

// the end of a place's name: 山西省吕梁市汾阳市 is 山西省 吕梁市 汾阳市, and a reader writes 汾阳市 or 汾阳
const PLACE_END = "特别行政区|自治州|自治县|自治旗|地区|新区|省|市|县|区|州|盟|旗";
const PLACE = new RegExp(`.+?(?:${PLACE_END})`, "gu");

/** How a query may name a region: in full, its last place (汾阳市), or that without its ending (汾阳). */
export function placeNames(region) {
  const parts = region.match(PLACE) || [];
  const last = parts.join("") === region ? parts[parts.length - 1] : region;
  const stem = last.replace(new RegExp(`(?:${PLACE_END})$`, "u"), "");
  return [region, last, ...(stem.length >= 2 && stem !== last ? [stem] : [])];
}

/** Can this shard hold pages that pass the filters? (shards.json names its regions and years) */
function canHold(shard, filters) {
  return (!filters.region || !shard.regions || shard.regions.includes(filters.region)) &&
    (!filters.year || !shard.years || shard.years.includes(String(filters.year)));
}

/** The shards a search needs, in the order to search them: of those that can hold pages passing
 * the filters, [those with a region the query (or the department chosen) names, the others in order]. */
export function shardOrder(list, filters, text) {
  const wanted = list.map((_, i) => i).filter((i) => canHold(list[i], filters));
  const named = (i) => (list[i].regions || []).some((region) => placeNames(region).some((name) => text.includes(name)));
  return [wanted.filter(named), wanted.filter((i) => !named(i))];
}

const pagesIn = (list) => list.reduce((sum, i) => sum + (shards[i].pages || 0), 0);

// what an excerpt cut mid-sentence can start with: a separator or the closing half of a pair
const LEADING_PUNCTUATION = /^(?:\s|[，。、；：！？,.;:!?）)》」』】”’])+/;

/** Put Pagefind's excerpt (escaped text with <mark>) into ``target`` without parsing other HTML; it
 * starts at a word, not at the punctuation Pagefind's cut left (“，部门本年度…” → “部门本年度…”). */
function setExcerpt(target, excerpt) {
  const decode = (html) => new DOMParser().parseFromString(html, "text/html").documentElement.textContent;
  excerpt.replace(LEADING_PUNCTUATION, "").replace(/<\/mark>(\s*)<mark>/g, "$1").split(/(<mark>.*?<\/mark>)/s).forEach((piece) => {
    const marked = piece.match(/^<mark>(.*)<\/mark>$/s);
    if (marked) {
      const mark = document.createElement("mark");
      mark.textContent = decode(marked[1]);
      target.append(mark);
    } else if (piece) {
      target.append(decode(piece));
    }
  });
}

/** The section a result opens at, of Pagefind's sub-results (the page cut at its headings, each
 * with the query's words found there and their weights: a heading's own words weigh its level,
 * 2 to 6, a glossary entry's term 1.5, prose 1): the section whose heading names most of the
 * query's parts as written (三公经费 in “九、财政拨款“三公”经费支出决算表”: quotes do not count), then
 * the one with most distinct words weighed above 1, then most distinct words, then the highest sum
 * of Pagefind's scores; ties
 * go to the earlier section. null when that is the top of the page (before the first heading,
 * where the title and headline figures are) or the page has no headings. */
export function bestSection(data, parts = []) {
  const words = (data.raw_content || "").split("\u200B");
  const folded = parts.map(foldTerm).filter(Boolean);
  const key = (sub) => {
    const at = sub.weighted_locations || [];
    const distinct = (list) => new Set(list.map((l) => (words[l.location] || "").trim())).size;
    const title = foldTerm(sub.title || "");
    return [folded.filter((part) => title.includes(part)).length, distinct(at.filter((l) => l.weight > 1)),
      distinct(at), at.reduce((sum, l) => sum + (l.balanced_score || 0), 0)];
  };
  let best = null;
  let bestKey = null;
  for (const sub of data.sub_results || []) {
    const k = key(sub);
    const differs = bestKey ? k.findIndex((v, i) => v !== bestKey[i]) : 0;
    if (differs >= 0 && (!bestKey || k[differs] > bestKey[differs])) {
      best = sub;
      bestKey = k;
    }
  }
  return best && best.anchor ? best : null;
}

/** The page's weighted words in page order (headings, the title, the headline figures, a
 * 名词解释 entry's term: the places where Pagefind weighs a word above 1) that match the query, run
 * together where only quotation marks or spaces part them (“三公”经费 → 三公经费) and cut (|) elsewhere. */
function weightedText(data) {
  const words = (data.raw_content || "").split("\u200B");
  const places = [...new Set((data.weighted_locations || []).filter((l) => l.weight > 1).map((l) => l.location))]
    .sort((a, b) => a - b);
  let text = "";
  let last = -1;
  for (const at of places) {
    if (last < 0 || words.slice(last + 1, at).some((word) => foldTerm(word))) text += "|";
    text += foldTerm(words[at] || "");
    last = at;
  }
  return text;
}

/** How much the page names the query as its subject, as against a passing mention: in its title,
 * in a heading (a table's, a section's, a form's project name) or where a word weighs above prose
 * (a headline figure, a glossary entry's term). [the query's parts named there, the places naming
 * one] (the 决算 with a 三公 table, its 说明 and two sub-sections before the 预算 with a table and
 * one 说明). Titles and headings are read as written (Pagefind's words may part a name differently
 * there: 医疗保障局部门 is 医疗 保障 局部 门). */
export function subjectOf(data, parts) {
  const places = [data.meta?.title, ...(data.sub_results || []).map((sub) => sub.title), ...weightedText(data).split("|")]
    .map((text) => foldTerm(text || "")).filter(Boolean);
  const folded = parts.map(foldTerm).filter(Boolean);
  const named = folded.filter((part) => places.some((place) => place.includes(part)));
  return [named.length, places.filter((place) => folded.some((part) => place.includes(part))).length];
}

/** For sorting lists compared item by item, larger first: negative when ``a`` comes first. */
function largerFirst(a, b) {
  const at = a.findIndex((value, i) => value !== b[i]);
  return at < 0 ? 0 : b[at] - a[at];
}

function resultItem(data, parts) {
  const item = document.createElement("li");
  const heading = document.createElement("h3");
  const link = document.createElement("a");
  const section = bestSection(data, parts);
  link.href = section ? section.url : data.url;
  link.textContent = data.meta.title || data.url;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "result-meta";
  const filters = data.filters || {};
  const facts = [filters.department, filters.year && `${filters.year}年度`, filters.kind, data.meta.figure]
    .flat().filter(Boolean);
  meta.textContent = facts.join(" · ");
  item.append(heading, meta);
  if (section) {
    // where the link opens, said in words: the reader sees why this page, before following it
    const where = document.createElement("p");
    where.className = "result-section";
    where.textContent = `位置：${section.title}`;
    item.append(where);
  }
  const excerpt = document.createElement("p");
  excerpt.className = "excerpt";
  setExcerpt(excerpt, (section ? section.excerpt : data.excerpt) || "");
  item.append(excerpt);
  return item;
}

/** A section of results, ``initial`` shown at once and PAGE_SIZE more per click of its button; ``parts``:
 * the query's parts, for the section each result opens at (bestSection). ``subjectFirst``: the first
 * results, whose fragments are fetched for their excerpts anyway, are put in the order of how many
 * how much they name the query as their subject (subjectOf), by relevance where equal. */
function section(id, title, results, parts, initial = PAGE_SIZE, subjectFirst = false) {
  const box = document.createElement("section");
  box.setAttribute("aria-labelledby", id);
  const heading = document.createElement("h2");
  heading.id = id;
  heading.textContent = title;
  const list = document.createElement("ol");
  list.className = "result-list";
  const more = document.createElement("button");
  more.type = "button";
  more.className = "more";
  let shown = 0;
  const showMore = async (count = PAGE_SIZE) => {
    more.disabled = true;
    const batch = await Promise.all(results.slice(shown, shown + count).map((r) => r.data()));
    const first = shown;
    if (subjectFirst && first === 0) {
      const subject = new Map(batch.map((data) => [data, subjectOf(data, parts)]));
      batch.sort((a, b) => largerFirst(subject.get(a), subject.get(b)));      // (stable: by relevance where equal)
    }
    batch.forEach((data) => list.append(resultItem(data, parts)));
    shown += batch.length;
    more.disabled = false;
    more.hidden = shown >= results.length;
    more.textContent = shown ? `显示更多（还有 ${results.length - shown} 条）` : `显示这 ${results.length} 份文件`;
    if (first > 0) list.children[first]?.querySelector("a")?.focus();
  };
  more.addEventListener("click", () => showMore());
  box.append(heading, list, more);
  return { box, ready: showMore(initial) };
}

/** Pagefind's search; by year (newest first, by relevance within a year): one search per year of
 * the year filter's options. The pages carry no Pagefind sort key: its list of every page in year
 * order would be part of the index metadata each reader fetches first (5 KB per 2,500 pages). */
async function searchSorted(pf, term, filters, byYear) {
  if (!byYear) return pf.search(term, { filters });
  const years = filters.year ? [filters.year]
    : [...field("year").options].map((o) => o.value).filter(Boolean).sort().reverse();
  const parts = await Promise.all(years.map((year) => pf.search(term, { filters: { ...filters, year } })));
  return { results: parts.flatMap((part) => part?.results || []) };
}

/** Is a word of the query on no page at all? Pagefind then leaves it out and lists pages with the
 * others, so no page has every word. One search per word: their index chunks are those the query
 * loads anyway. */
async function missingWord(pf, term) {
  const words = [...new Set(queryWords(term))];
  const found = await Promise.all(words.map((word) => pf.search(word)));
  return found.some((search) => !search?.results.length);
}

/** Does ``part`` name a glossary term that pages write with quotation marks (三公经费 = “三公”经费)?
 * Pagefind counts each mark as a word, so the exact search for the part misses those pages: such a
 * part is not looked for as written. */
function quotedTerm(part) {
  return matchingTerms(part, glossary, Infinity).some((term) => foldTerm(term.term) === foldTerm(part) && /[“”‘’「」『』"]/.test(term.term));
}

/** Split Pagefind's results into pages with every word and the others, each by relevance: first
 * the pages with more of the query's parts as written (``exactParts``: the exact search of each
 * part; 白河县（合成42）教育局 预算执行率: that department's pages before those of every 白河县 教育局),
 * then by Pagefind's score. Sorted by year, each year keeps its own order (one search a year). */
export function rankResults(results, exactParts, missing, byYear = false) {
  const exactCount = new Map();
  const looked = exactParts.filter(Boolean);   // null: a part not looked for as written (quotedTerm)
  for (const part of looked) {
    for (const r of part.results) exactCount.set(r.id, (exactCount.get(r.id) || 0) + 1);
  }
  const exact = (r) => exactCount.get(r.id) || 0;
  const order = byYear ? results : [...results].sort((a, b) => exact(b) - exact(a) || b.score - a.score);
  return missing ? { all: [], some: order } : { all: order, some: [] };
}

async function runSearch(everything = false) {
  const id = ++runId;
  const query = normalizeQuery(input.value);
  const filters = chosenFilters();
  const byYear = field("sort")?.value === "year";
  showTerms(query);              // from the page itself: shown even while the index loads, or without one
  if (!query && !Object.keys(filters).length) {
    statusLine.textContent = "";
    resultsBox.replaceChildren();
    return;
  }
  let pf;
  try {
    pf = await loadPagefind();
  } catch {
    return;
  }
  statusLine.textContent = "正在搜索…";
  delete resultsBox.dataset.ready;
  const done = () => {
    if (id !== runId) return;
    resultsBox.dataset.query = query;  // for tests and tools: the results of this query are on the page
    resultsBox.dataset.ready = "1";
  };
  const term = query.replace(QUOTES, " ").replace(/\s+/g, " ").trim();
  const ranked = term && !term.includes('"');   // a query the reader quotes ("…") is Pagefind's exact search
  // the parts the exact searches look for: punctuation splits them too, as the page may write
  // 青川县（合成1）医疗保障局 where Pagefind counts each bracket as a word
  const parts = ranked ? term.split(/[\s\p{P}]+/u).filter(Boolean) : [];
  // the shards this search needs: those of a region named first, then one more, two more, four
  // more… until the first screen holds pages with every part as written (a department chosen: its
  // pages, all in one shard), or every shard the filters allow is searched; ``everything``: all of
  // them at once (the button)
  const [named, others] = shardOrder(shards, filters, `${query} ${filters.department || ""}`);
  await mergeShards(pf, everything ? [...named, ...others] : named);
  let found;
  let left;
  let step = 1;       // shards merged at once, doubled each time: a rare word reaches the last of
  for (;;) {          // 20 shards in 5 round trips, not 20
    found = await searchMerged(pf, term, parts, filters, byYear, ranked);
    if (id !== runId) return;  // a newer search has started
    left = [...named, ...others].filter((i) => !merged.has(i));
    const count = found.all.length + found.some.length;
    if (filters.department && count) left = [];   // (the shard that holds the department holds all its pages)
    if (!left.length || (ranked ? found.sure : count) >= PAGE_SIZE) break;
    await mergeShards(pf, left.slice(0, step));
    step *= 2;
  }
  const { all: allResults, some: otherResults } = found;
  const total = allResults.length + otherResults.length;
  const scope = Object.entries(filters).map(([k, v]) => `${KIND_OF_FILTER[k]}：${k === "year" ? v + "年度" : v}`);
  const scopeText = scope.length ? `（${scope.join("，")}）` : "";
  resultsBox.replaceChildren();
  delete resultsBox.dataset.partial;
  if (total === 0) {
    statusLine.textContent = `没有找到${query ? `包含${quoted(query)}的` : ""}公开文件${scopeText}。`;
    const hint = document.createElement("p");
    hint.className = "notice";
    hint.textContent = "可以换一个词，去掉筛选条件，或从首页的部门索引浏览。";
    resultsBox.append(hint);
    done();
    return;
  }
  if (!query) {
    statusLine.textContent = `共 ${total} 份公开文件${scopeText}。`;
  } else if (ranked && !allResults.length) {
    statusLine.textContent = `没有找到包含${quoted(query)}全部词语的公开文件${scopeText}；下面 ${total} 份包含其中部分词语。`;
  } else if (ranked) {
    statusLine.textContent = `找到 ${total} 份公开文件${scopeText}，其中 ${allResults.length} 份包含${quoted(query)}的全部词语。`;
  } else {
    statusLine.textContent = `找到 ${total} 份包含${quoted(query)}的公开文件${scopeText}。`;
  }
  if (left.length) {
    // said, with a button for the rest: a large portal's first answer comes from part of its shards
    statusLine.textContent += `已搜索全站 ${pagesIn(shards.map((_, i) => i))} 份公开文件中的 ${pagesIn([...merged])} 份。`;
    resultsBox.dataset.partial = "1";
    resultsBox.append(continueBox(left));
  }
  const sections = [];
  const words = term.split(/[\s\p{P}]+/u).filter(Boolean);   // (the parts, also of a quoted query)
  const subjectFirst = ranked && !byYear;
  if (ranked && allResults.length) {
    sections.push(section("results-all", `包含全部词语的页面（${allResults.length}）`, allResults, words, PAGE_SIZE, subjectFirst));
  }
  if (otherResults.length) {
    // pages with only some of the words are fetched when there is room, or when asked for
    const title = ranked ? `只包含其中部分词语的页面（${otherResults.length}）` : `搜索结果（${otherResults.length}）`;
    sections.push(section("results-other", title, otherResults, words, Math.max(PAGE_SIZE - allResults.length, 0), subjectFirst));
  }
  resultsBox.append(...sections.map((p) => p.box));
  await Promise.all(sections.map((p) => p.ready));
  if (everything && id === runId) {
    const heading = resultsBox.querySelector("h2");   // the button is gone: the reader goes on at the results
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }
  done();
}

/** The button that searches the shards left (they stay merged for later queries). */
function continueBox(left) {
  const box = document.createElement("p");
  box.className = "search-partial";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "continue";
  button.textContent = `继续搜索其余 ${pagesIn(left)} 份公开文件`;
  button.addEventListener("click", () => { button.disabled = true; runSearch(true); });
  box.append(button);
  return box;
}

/** The three searches of a query over the shards merged so far (words; each part as written; is a
 * word on no page), ranked: {all: pages with every word, some: the others, sure: of ``all``, those
 * with every part as written}. ``sure`` decides whether the first screen is full: a shard without
 * a word of the query lists, as pages with every word, pages with the others or with longer words
 * it begins (3320.04: six pages of a shard without it, none of which has it). */
async function searchMerged(pf, term, parts, filters, byYear, ranked) {
  const [words, exactParts, missing] = await Promise.all([
    searchSorted(pf, term || null, filters, byYear),
    Promise.all(parts.map((part) => (quotedTerm(part) ? null : pf.search(`"${part}"`, { filters })))),
    ranked ? missingWord(pf, term) : Promise.resolve(false),
  ]);
  if (!ranked) return { all: [], some: words.results, sure: 0 };
  const found = rankResults(words.results, exactParts, missing, byYear);
  // (not a region's name: the exact search misses the pages where it was segmented otherwise,
  // 新安县 on every page of 新安县, and its shards were searched first anyway)
  const written = exactParts.map((part, i) => (part && !regionNames.has(parts[i]) ? new Set(part.results.map((r) => r.id)) : null))
    .filter(Boolean);
  return { ...found, sure: found.all.filter((r) => written.every((ids) => ids.has(r.id))).length };
}

let timer = null;
function later() {
  clearTimeout(timer);
  timer = setTimeout(() => { writeUrl(false); runSearch(); }, 250);
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  clearTimeout(timer);
  writeUrl(true);
  runSearch();
});
input.addEventListener("input", later);
for (const name of [...FILTERS, "sort"]) field(name)?.addEventListener("change", () => { writeUrl(true); runSearch(); });
window.addEventListener("popstate", () => { readUrl(); runSearch(); });

// a portal with hundreds of departments offers them as suggestions, from the index's filter values
const departmentList = document.getElementById("department-names");
if (departmentList) {
  field("department").addEventListener("focus", async () => {
    if (departmentList.options.length) return;
    const names = Object.keys((await (await loadPagefind()).filters()).department || {}).sort();
    departmentList.replaceChildren(...names.map((name) => Object.assign(document.createElement("option"), { value: name })));
  }, { once: true });
}

readUrl();
if (!input.value) input.focus();
runSearch();
