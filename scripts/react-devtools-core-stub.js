// Ink imports react-devtools-core only for its optional devtools; the bundle never uses them.
export default { initialize() {}, connectToDevTools() {} };
