// Reorder a list by dragging a handle (pointer events: mouse, pen and touch alike).
// The row moves in the DOM while dragging; onDrop(ids) is called once, with the new order, if it changed.

/**
 * makeSortable(list, {row: ".sort-row", handle: ".handle", id: (li) => li.dataset.itemId, onDrop})
 * Rows can be re-rendered freely: listeners sit on the list.
 */
export function makeSortable(list, { row = ".sort-row", handle = ".handle", id = (li) => li.dataset.id, onDrop }) {
  let drag = null;

  const rows = () => [...list.querySelectorAll(`:scope > ${row}`)];
  const order = () => rows().map(id);

  list.addEventListener("pointerdown", (event) => {
    const grip = event.target.closest(handle);
    if (!grip || !list.contains(grip) || event.button > 0) return;
    const li = grip.closest(row);
    if (!li) return;
    event.preventDefault();
    grip.setPointerCapture?.(event.pointerId);
    drag = { li, grip, pointerId: event.pointerId, before: order() };
    li.classList.add("dragging");
    list.classList.add("is-sorting");
  });

  list.addEventListener("pointermove", (event) => {
    if (!drag || event.pointerId !== drag.pointerId) return;
    event.preventDefault();
    const others = rows().filter((r) => r !== drag.li);
    // Insert before the first row whose middle is below the pointer.
    const target = others.find((r) => {
      const box = r.getBoundingClientRect();
      return event.clientY < box.top + box.height / 2;
    });
    if (target) {
      if (drag.li.nextElementSibling !== target) list.insertBefore(drag.li, target);
    } else if (others.length && list.lastElementChild !== drag.li) {
      others[others.length - 1].after(drag.li);
    }
  });

  const finish = (event) => {
    if (!drag || event.pointerId !== drag.pointerId) return;
    const { li, before } = drag;
    drag = null;
    li.classList.remove("dragging");
    list.classList.remove("is-sorting");
    const after = order();
    if (after.join(",") !== before.join(",")) onDrop(after, before);
  };
  list.addEventListener("pointerup", finish);
  list.addEventListener("pointercancel", finish);
}

/** Move the id at `index` by `delta` (-1 up, +1 down); returns the new array or null when at an end. */
export function moved(ids, index, delta) {
  const to = index + delta;
  if (index < 0 || to < 0 || to >= ids.length) return null;
  const next = [...ids];
  const [picked] = next.splice(index, 1);
  next.splice(to, 0, picked);
  return next;
}
