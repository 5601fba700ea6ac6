/* Cell renderers of the managers' grids (dash-ag-grid). React escapes the text: a name from an
   event is shown as text, never run. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

dagcomponentfuncs.PageLink = function (props) {
  if (!props.data || !props.data.href) { return props.value; }
  return React.createElement("a", { href: props.data.href, className: "page-link" }, props.value);
};
