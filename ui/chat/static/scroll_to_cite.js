// A new answer's document is shown scrolled (inside its own box only) to the first cited sentence.
watch('value', () => {
  const mark = element.querySelector('#cite-1') || element.querySelector('mark.qa-cite');
  if (!mark) return;
  let box = mark.parentElement;
  while (box && box !== document.body && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement;
  if (!box || box === document.body) return;
  const offset = mark.getBoundingClientRect().top - box.getBoundingClientRect().top;
  box.scrollTop += offset - box.clientHeight / 3;
});
