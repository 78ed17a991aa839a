// Starts GraphiQL against this server: queries and mutations over POST with the
// session cookie (or the Authorization header from the headers tab), subscriptions
// over the WebSocket at /graphql/ws (graphql-transport-ws). A separate file, not an
// inline script, so the page's content security policy can forbid inline scripts.
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  if (!window.GraphiQL || !window.React || !window.ReactDOM || !window.graphqlWs) {
    root.textContent = 'GraphiQL could not be loaded. The API itself answers at POST /graphql.';
    return;
  }
  var endpoint = new URL('/graphql', window.location.href);
  var socket = new URL('/graphql/ws', window.location.href);
  socket.protocol = socket.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({
    url: endpoint.toString(),
    wsClient: graphqlWs.createClient({ url: socket.toString(), lazy: true }),
  });
  // `/graphql?query=…` opens with that operation in the editor, so a link can carry it.
  var shared = new URLSearchParams(window.location.search).get('query');
  var props = { fetcher: fetcher, defaultEditorToolsVisibility: true };
  if (shared) props.query = shared;
  ReactDOM.createRoot(root).render(React.createElement(GraphiQL, props));
})();
