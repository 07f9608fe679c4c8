/*
 * gongkai: reading aids (字号, 高对比度), the print button and the search dialog.
 * Loaded with `defer` from this site; loads Pagefind's UI from this site the first time
 * the search is opened. No other host is ever contacted.
 */
(function () {
  "use strict";

  var root = document.documentElement;
  var SIZE_KEY = "gongkai.size";
  var CONTRAST_KEY = "gongkai.contrast";

  function store(key, value) {
    try {
      if (value) localStorage.setItem(key, value);
      else localStorage.removeItem(key);
    } catch (e) { /* private mode: the choice lasts for this page only */ }
  }

  // ------------------------------------------------------------ 字号 and 高对比度
  function showSize(size) {
    if (size === "s" || size === "l") root.setAttribute("data-gongkai-size", size);
    else root.removeAttribute("data-gongkai-size");
    var current = root.getAttribute("data-gongkai-size") || "m";
    document.querySelectorAll("[data-gongkai-size]").forEach(function (button) {
      if (button === root) return;
      button.setAttribute("aria-pressed", String(button.getAttribute("data-gongkai-size") === current));
    });
  }

  function showContrast(high) {
    if (high) root.setAttribute("data-gongkai-contrast", "high");
    else root.removeAttribute("data-gongkai-contrast");
    document.querySelectorAll("[data-gongkai-contrast]").forEach(function (button) {
      if (button === root) return;
      button.setAttribute("aria-pressed", String(high));
    });
  }

  document.querySelectorAll("button[data-gongkai-size]").forEach(function (button) {
    button.addEventListener("click", function () {
      var size = button.getAttribute("data-gongkai-size");
      showSize(size);
      store(SIZE_KEY, size === "m" ? "" : size);
    });
  });
  document.querySelectorAll("button[data-gongkai-contrast]").forEach(function (button) {
    button.addEventListener("click", function () {
      var high = root.getAttribute("data-gongkai-contrast") !== "high";
      showContrast(high);
      store(CONTRAST_KEY, high ? "high" : "");
    });
  });
  showSize(root.getAttribute("data-gongkai-size"));
  showContrast(root.getAttribute("data-gongkai-contrast") === "high");

  // ------------------------------------------------------------ wide tables
  // A table region that does scroll says so (a line above it, gongkai.css); checked again when
  // the window or the text size changes.
  // A table an editor wrote in Markdown scrolls in Material's wrapper, made on page load: it gets
  // the same keyboard stop, name and cue as the engine's own regions.
  function regions() {
    document.querySelectorAll(".md-typeset__scrollwrap:not([tabindex])").forEach(function (wrap) {
      var caption = wrap.querySelector("caption");
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", (caption ? caption.textContent.trim() : "表格") + "（可左右滚动）");
    });
    return document.querySelectorAll(".gongkai-scroll, .md-typeset__scrollwrap");
  }
  function markOverflow() {
    regions().forEach(function (region) {
      if (region.scrollWidth > region.clientWidth + 1) region.setAttribute("data-gongkai-overflow", "");
      else region.removeAttribute("data-gongkai-overflow");
    });
  }
  markOverflow();
  window.addEventListener("load", markOverflow);
  window.addEventListener("resize", markOverflow);
  document.querySelectorAll("button[data-gongkai-size]").forEach(function (button) {
    button.addEventListener("click", markOverflow);
  });

  // ------------------------------------------------------------ print
  document.querySelectorAll("[data-gongkai-url]").forEach(function (span) {
    if (!span.textContent) span.textContent = location.href.split("#")[0];
  });
  document.querySelectorAll("[data-gongkai-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // ------------------------------------------------------------ search (Pagefind)
  var dialog = document.getElementById("gongkai-search");
  var openers = document.querySelectorAll("[data-gongkai-search-open]");
  if (!dialog || typeof dialog.showModal !== "function") return;

  var siteRoot = new URL(dialog.getAttribute("data-gongkai-base") || "./", location.href);
  var bundle = new URL("pagefind/", siteRoot).href;
  var status = dialog.querySelector("[data-gongkai-search-status]");
  var live = dialog.querySelector("[data-gongkai-search-live]");
  var loading = null;
  var ui = null;

  var translations = {
    placeholder: "请输入关键词，如标题、正文中的词语、文号",
    clear_search: "清除",
    load_more: "加载更多结果",
    search_label: "搜索本站政府信息",
    filters_label: "筛选",
    zero_results: "未找到与“[SEARCH_TERM]”相关的信息",
    many_results: "找到 [COUNT] 条与“[SEARCH_TERM]”相关的信息",
    one_result: "找到 [COUNT] 条与“[SEARCH_TERM]”相关的信息",
    alt_search: "未找到与“[SEARCH_TERM]”相关的信息，以下是“[DIFFERENT_TERM]”的结果",
    search_suggestion: "未找到与“[SEARCH_TERM]”相关的信息，请尝试其他关键词：",
    searching: "正在搜索“[SEARCH_TERM]”……"
  };

  // The index of a large portal is in shards (pagefind/2/, pagefind/3/, …): gongkai-shards.json
  // names them, and Pagefind's UI merges them into one search.
  function shardBundles() {
    if (typeof fetch !== "function") return Promise.resolve([]);
    return fetch(bundle + "gongkai-shards.json")
      .then(function (response) { return response.ok ? response.json() : {}; })
      .then(function (data) {
        var names = data && Array.isArray(data.bundles) ? data.bundles : [];
        return names.filter(function (name) { return /^[0-9]+\/$/.test(name); });
      }, function () { return []; });
  }

  function loadUi() {
    if (loading) return loading;
    var shards = shardBundles();
    loading = new Promise(function (resolve, reject) {
      var css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = bundle + "pagefind-ui.css";
      document.head.appendChild(css);
      var script = document.createElement("script");
      script.src = bundle + "pagefind-ui.js";
      script.onload = function () { shards.then(start); };
      function start(others) {
        /* global PagefindUI */
        ui = new PagefindUI({
          element: "#gongkai-search-ui",
          bundlePath: bundle,
          baseUrl: siteRoot.pathname,
          mergeIndex: others.map(function (name) {
            return { bundlePath: bundle + name, baseUrl: siteRoot.pathname };
          }),
          showImages: false,
          showSubResults: true,
          autofocus: true,
          translations: translations,
          // The title of an item is its first heading: a sub-result that only repeats it
          // says nothing new.
          processResult: function (result) {
            if (result && result.sub_results && result.meta) {
              result.sub_results = result.sub_results.filter(function (sub) {
                return sub.title !== result.meta.title;
              });
            }
            return result;
          }
        });
        // The visible <label> of the dialog names Pagefind's input.
        var box = input();
        if (box) box.id = "gongkai-search-input";
        announceResults();
        resolve(ui);
      }
      script.onerror = function () {
        reject(new Error("search bundle missing"));
      };
      document.head.appendChild(script);
    });
    loading.catch(function () {
      loading = null;
      if (status) status.textContent = "搜索功能暂不可用:未找到搜索索引,请联系网站管理员。";
    });
    return loading;
  }

  // Pagefind writes "找到 3 条…" into its own message line, which is not a live region: a reader
  // of a screen reader hears the count when a search or a filter changes it, once it has settled.
  function announceResults() {
    var area = document.getElementById("gongkai-search-ui");
    if (!live || !area || typeof MutationObserver !== "function") return;
    var timer = null;
    var said = "";
    new MutationObserver(function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var message = area.querySelector(".pagefind-ui__message");
        var text = message ? message.textContent.trim() : "";
        if (/^正在搜索/.test(text)) return;
        var chosen = [].map.call(area.querySelectorAll("input[type=checkbox]:checked"), function (box) {
          var label = area.querySelector("label[for='" + box.id + "']");
          return (label ? label.textContent : box.value || "").replace(/\s*\(\d+\)\s*$/, "").trim();
        }).filter(Boolean);
        if (text && chosen.length) text += "（已筛选：" + chosen.join("、") + "）";
        if (text && text !== said) {
          said = text;
          live.textContent = text;
        } else if (!text) {
          said = "";
          live.textContent = "";
        }
      }, 400);
    }).observe(area, {childList: true, subtree: true, characterData: true});
  }

  function input() {
    return dialog.querySelector(".pagefind-ui__search-input");
  }

  function openSearch(term) {
    if (!dialog.open) dialog.showModal();
    return loadUi().then(function (instance) {
      var box = input();
      if (term) instance.triggerSearch(term);
      if (box) box.focus();
      return instance;
    }, function () { /* the dialog says the search is unavailable */ });
  }

  openers.forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { openSearch(); });
  });
  dialog.querySelectorAll("[data-gongkai-search-close]").forEach(function (button) {
    button.addEventListener("click", function () { dialog.close(); });
  });
  // A click on the backdrop (outside the dialog's box) closes it, as Esc does.
  dialog.addEventListener("click", function (event) {
    if (event.target !== dialog || !event.clientX) return;
    var box = dialog.getBoundingClientRect();
    if (event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom) {
      dialog.close();
    }
  });
  // Esc closes the dialog even from Pagefind's input (which would otherwise only clear it).
  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && dialog.open) {
      event.preventDefault();
      event.stopPropagation();
      dialog.close();
    }
  }, true);
  dialog.addEventListener("close", function () {
    if (openers[0]) openers[0].focus();
  });
  // "/" opens the search from anywhere but a text field.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    event.preventDefault();
    openSearch();
  });
  // A link such as …/?q=关键词 opens the page with the search already run.
  var query = new URLSearchParams(location.search).get("q");
  if (query) openSearch(query);
})();
