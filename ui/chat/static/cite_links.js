if (!window.__qaCiteNav) {
  window.__qaCiteNav = true;
  const focusCite = (n) => {
    const mark = document.getElementById('cite-' + n);
    if (!mark) return false;
    document.querySelectorAll('mark.qa-active').forEach((m) => m.classList.remove('qa-active'));
    mark.classList.add('qa-active');
    mark.scrollIntoView({behavior: 'smooth', block: 'center'});
    return true;
  };
  // Citation links in the sources list (and in the latest answer): scroll to the sentence and emphasise it.
  document.addEventListener('click', (event) => {
    const link = event.target.closest ? event.target.closest('a.qa-cite-link') : null;
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    focusCite(link.dataset.cite);
  }, true);
  // The [n] markers of the latest answer become links; older answers cite sentences no longer shown.
  const linkMarkers = () => {
    const chat = document.getElementById('qa-chat');
    if (!chat) return;
    const bots = chat.querySelectorAll('.message.bot .prose, .bot .message-content .prose');
    bots.forEach((bubble, i) => {
      const latest = i === bots.length - 1 && !bubble.textContent.includes('✎ draft');
      if (!latest) {
        bubble.querySelectorAll('a.qa-cite-link').forEach((a) => a.replaceWith(a.textContent));
        return;
      }
      const walker = document.createTreeWalker(bubble, NodeFilter.SHOW_TEXT);
      const nodes = [];
      while (walker.nextNode()) {
        const node = walker.currentNode;
        if (/\[\d+\]/.test(node.nodeValue) && !node.parentElement.closest('a, code, pre')) nodes.push(node);
      }
      nodes.forEach((node) => {
        const frag = document.createDocumentFragment();
        let last = 0;
        node.nodeValue.replace(/\[(\d+)\]/g, (match, n, at) => {
          frag.append(node.nodeValue.slice(last, at));
          const a = document.createElement('a');
          a.className = 'qa-cite-link';
          a.href = '#cite-' + n;
          a.dataset.cite = n;
          a.textContent = match;
          frag.append(a);
          last = at + match.length;
        });
        frag.append(node.nodeValue.slice(last));
        node.replaceWith(frag);
      });
    });
  };
  let pending = false;
  new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; linkMarkers(); });
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
